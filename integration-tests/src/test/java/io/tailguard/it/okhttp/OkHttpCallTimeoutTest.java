package io.tailguard.it.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * OkHttp's {@code callTimeout} bounds the whole logical request, retries included: no attempt
 * starts after it, the attempt in flight when it runs out is stopped, and the application gets
 * OkHttp's own timeout exception.
 */
@Isolated
@Timeout(120)
class OkHttpCallTimeoutTest {

    private static final long CALL_TIMEOUT_MS = 1_000;
    private static final long SERVER_DELAY_MS = 400;

    /**
     * Many attempts and a long retry.timeout, so that only the call timeout can end the request.
     * 127.0.0.1 is tagged (every attempt is a new call); localhost is not (the primary is the
     * application's own call, whose own timeout OkHttp enforces).
     */
    @AutoClose
    private static final OkHttpApps APPS = new OkHttpApps(
            "tailguard.policy.tagged.hosts=127.0.0.1",
            "tailguard.policy.tagged.tagging=true",
            "tailguard.policy.tagged.retry.max-attempts=10",
            "tailguard.policy.tagged.retry.timeout=30s",
            "tailguard.policy.tagged.retry.backoff.initial=10ms",
            "tailguard.policy.tagged.retry.backoff.max=20ms",
            "tailguard.policy.untagged.hosts=localhost",
            "tailguard.policy.untagged.retry.max-attempts=10",
            "tailguard.policy.untagged.retry.timeout=30s",
            "tailguard.policy.untagged.retry.backoff.initial=10ms",
            "tailguard.policy.untagged.retry.backoff.max=20ms");

    private TestServer server;

    @BeforeEach
    void startServer() {
        server = new TestServer();
        server.respondWith(request -> new MockResponse.Builder().code(503).body("busy")
                .headersDelay(SERVER_DELAY_MS, TimeUnit.MILLISECONDS).build());
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    static Stream<Arguments> versionsApisAndTagging() {
        return OkHttpApps.versionsApisAnd("tagged", "untagged");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("versionsApisAndTagging")
    void callTimeoutBoundsTheWholeRequestAcrossRetries(String version, String api, String tagging) throws Exception {
        String url = "tagged".equals(tagging) ? server.url("/slow") : server.unmatchedUrl("/slow");
        AgentedApp app = APPS.app(version);

        Map<String, String> result = app.call(Call.get(api, url).timeoutMs(CALL_TIMEOUT_MS));

        // 503 at ~400 ms, retry, 503 at ~820 ms, retry with what is left of the second: timed out.
        // (On a busy machine the last retry may start too close to the deadline to reach the
        // server: the number of attempts is timing, the bound is not.)
        assertEquals("java.io.InterruptedIOException", result.get("error"), result.toString());
        long elapsedMs = Long.parseLong(result.get("elapsedMs"));
        assertTrue(elapsedMs >= CALL_TIMEOUT_MS - 50 && elapsedMs < CALL_TIMEOUT_MS + 500,
                "ended at the call timeout: " + elapsedMs + " ms");
        List<Arrival> arrivals = server.drain();
        assertTrue(arrivals.size() >= 2 && arrivals.size() <= 3,
                "retried within the call timeout, and no more than fits into it: " + arrivals.size() + " attempts");
        long first = arrivals.get(0).nanos;
        for (Arrival arrival : arrivals) {
            long sentAtMs = (arrival.nanos - first) / 1_000_000;
            assertTrue(sentAtMs < CALL_TIMEOUT_MS, "no attempt after the call timeout: " + sentAtMs + " ms");
        }
    }
}
