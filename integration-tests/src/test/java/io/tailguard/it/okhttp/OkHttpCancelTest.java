package io.tailguard.it.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The application's {@code Call.cancel()} cancels the whole logical request: every attempt in
 * flight, whether it is the application's own call or one the agent made, and the application
 * hears of it once.
 */
@Timeout(120)
class OkHttpCancelTest {

    private static final long SERVER_DELAY_MS = 10_000;

    /** 127.0.0.1: untagged, so the primary is the application's own call; localhost: tagged, every attempt a new call. */
    @AutoClose
    private static final OkHttpApps APPS = new OkHttpApps(
            "tailguard.policy.own.hosts=127.0.0.1",
            "tailguard.policy.own.hedge.delay=100ms",
            "tailguard.policy.copies.hosts=localhost",
            "tailguard.policy.copies.hedge.delay=100ms",
            "tailguard.policy.copies.tagging=true");

    private TestServer server;

    @BeforeEach
    void startServer() {
        server = new TestServer();
        server.respondWith(request -> new MockResponse.Builder().code(200).body("too late")
                .headersDelay(SERVER_DELAY_MS, TimeUnit.MILLISECONDS).build());
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    static Stream<Arguments> versionsApisAndPrimaries() {
        return OkHttpApps.versionsApisAnd("own call", "copies");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("versionsApisAndPrimaries")
    void cancellingDuringAHedgeCancelsBothAttemptsAndFailsOnce(String version, String api, String primary)
            throws Exception {
        AgentedApp app = APPS.app(version);
        String url = "own call".equals(primary) ? server.url("/slow") : server.unmatchedUrl("/slow");
        String key = "cancel-" + System.nanoTime();
        CompletableFuture<Map<String, String>> answer = app.callAsync(Call.get(api, url).option("key", key));
        server.take();
        server.take(); // the primary and its hedge are both in flight

        long cancelledAt = System.nanoTime();
        app.send("cancel", Map.of("client", api, "key", key), 30);
        Map<String, String> result = answer.get(10, TimeUnit.SECONDS);

        // What OkHttp itself reports for a call cancelled in flight: IOException("Canceled"), or the
        // SocketException("Socket closed") of the read that the cancel interrupted. The other
        // attempt's failure is attached as suppressed.
        assertTrue(Set.of("java.io.IOException", "java.net.SocketException").contains(result.get("error")),
                result.toString());
        assertEquals("1", result.get("suppressed"), result.toString());
        assertTrue(Long.parseLong(result.get("elapsedMs")) < SERVER_DELAY_MS / 2, result.toString());
        Map<String, String> inspect = new HashMap<>(Map.of("client", api, "key", key, "awaitIdle", "true"));
        Map<String, String> state = app.send("inspect", inspect, 30);
        long idleAfterMs = (System.nanoTime() - cancelledAt) / 1_000_000;
        // OkHttp runs no call any more, long before the server would have answered: both the
        // primary and the hedge were cancelled, not left to finish.
        assertEquals("0", state.get("runningCalls"), state.toString());
        assertTrue(idleAfterMs < SERVER_DELAY_MS / 2, "both attempts ended " + idleAfterMs + " ms after cancel()");
        if (api.endsWith("enqueue")) {
            assertEquals("1", state.get("callbacks"), "onFailure exactly once, onResponse never");
        }
        assertEquals(2, server.requestCount(), "no retry after the application cancelled");
    }
}
