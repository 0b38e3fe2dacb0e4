package io.tailguard.it.okhttp;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hedged requests through OkHttp's {@code execute} and {@code enqueue} on 3.14, 4.12 and 5: the
 * slow attempt loses, is cancelled, and its connection is closed.
 */
@Isolated
@Timeout(120)
class OkHttpHedgeTest {

    /** 127.0.0.1 is hedged and tagged; localhost is hedged untagged (the primary is the application's own call). */
    @AutoClose
    private static final OkHttpApps APPS = new OkHttpApps(
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.hedge.delay=100ms",
            "tailguard.policy.api.hedge.methods=GET,PUT",
            "tailguard.policy.api.tagging=true",
            "tailguard.policy.untagged.hosts=localhost",
            "tailguard.policy.untagged.hedge.delay=100ms");

    @AutoClose
    private final TestServer server = new TestServer();

    private static MockResponse slow(String body, long millis) {
        return new MockResponse.Builder().code(200).body(body).headersDelay(millis, TimeUnit.MILLISECONDS).build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void aSlowPrimaryIsHedgedAndTheFastHedgeWins(String version, String api) throws Exception {
        server.respondWith(request -> "1".equals(request.getHeaders().get("X-Attempt")) ? slow("slow", 2_000) : ok("fast"));
        AgentedApp app = APPS.app(version);
        long sent = System.nanoTime();

        Map<String, String> result = app.call(Call.get(api, server.url("/search")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("fast", result.get("body"));
        long elapsed = Long.parseLong(result.get("elapsedMs"));
        assertTrue(elapsed < 1_000, "answered after the 100 ms hedge delay, not the 2 s stall: " + elapsed + " ms");
        Arrival[] byAttempt = server.takePrimaryAndHedge();
        Arrival primary = byAttempt[0];
        Arrival hedge = byAttempt[1];
        long hedgeAfterMillis = (hedge.nanos - sent) / 1_000_000;
        assertTrue(hedgeAfterMillis >= 100, "the hedge left after the delay: " + hedgeAfterMillis + " ms");
        // Interceptors ran for both attempts. With execute() the primary ran on the application's
        // thread; the hedge had to run on a worker while that thread was busy with the primary.
        assertEquals("seen", primary.header("X-Network-Interceptor"));
        assertEquals("seen", hedge.header("X-Network-Interceptor"));
        assertEquals(api.endsWith("execute") ? "caller" : "none", primary.header("X-Caller-Context"));
        assertEquals("none", hedge.header("X-Caller-Context"));
        if (api.endsWith("enqueue")) {
            assertFalse(result.get("callbackThread").startsWith("tailguard"), result.toString());
            assertEquals("true", result.get("sameCall"), "the callback is told about the application's own call");
        }
        assertLoserCancelled(version, api);
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void aSlowPrimaryThatIsTheApplicationsOwnCallIsHedged(String version, String api) throws Exception {
        server.enqueue(slow("slow", 2_000), ok("fast"));

        Map<String, String> result = APPS.app(version).call(Call.get(api, server.unmatchedUrl("/search")));

        assertEquals("fast", result.get("body"), result.toString());
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 1_000, result.toString());
        Arrival primary = server.take();
        Arrival hedge = server.take();
        assertNull(primary.header("X-Attempt"), "untagged policy");
        assertNull(hedge.header("X-Attempt"), "untagged policy");
        assertLoserCancelled(version, api);
        assertEquals(2, server.requestCount());
    }

    /**
     * The losing attempt's call was cancelled, not left to finish: OkHttp runs no call any more
     * long before the primary's 2 s stall would have ended, and no pooled connection is held by an
     * unclosed response (a cancelled HTTP/1.1 call closes its socket instead of pooling it).
     */
    private static void assertLoserCancelled(String version, String api) {
        long start = System.nanoTime();
        Map<String, String> state = APPS.app(version).send("inspect", Map.of("client", api, "awaitIdle", "true"), 30);
        long idleAfterMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals("0", state.get("runningCalls"), state.toString());
        assertTrue(idleAfterMs < 1_000, "the loser ended " + idleAfterMs + " ms after the winner");
        assertEquals(state.get("connections"), state.get("idleConnections"), state.toString());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void neverHedgesAPost(String version, String api) throws Exception {
        server.enqueue(slow("created", 500));

        Map<String, String> result = APPS.app(version).call(Call.of(api, "POST", server.url("/orders"))
                .body("string", "order"));

        assertEquals("200", result.get("status"));
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void neverHedgesAOneShotBody(String version, String api) throws Exception {
        server.enqueue(slow("stored", 500));

        Map<String, String> result = APPS.app(version).call(Call.of(api, "PUT", server.url("/blob"))
                .body("oneShot", "once"));

        assertEquals("200", result.get("status"));
        assertEquals("once", server.take().body());
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void aReplayableBodyIsHedgedIntact(String version, String api) throws Exception {
        server.enqueue(slow("slow", 2_000), ok("fast"));

        Map<String, String> result = APPS.app(version).call(Call.of(api, "PUT", server.url("/blob"))
                .body("bytes", "payload"));

        assertEquals("fast", result.get("body"), result.toString());
        assertEquals("payload", server.take().body());
        assertEquals("payload", server.take().body());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versions")
    void aPercentileDelayHedgesAtTheLearnedLatencyNotAtTheCap(String version) throws Exception {
        try (AgentedApp learning = AgentedApp.withConfig(String.join("\n",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.hedge.delay=p90",
                "tailguard.policy.api.hedge.min-samples=20",
                "tailguard.policy.api.hedge.max-delay=3s",
                "tailguard.policy.api.tagging=true")).classpath(AgentedApp.clientClasspath(version)).start()) {
            server.respondWith(request -> {
                boolean stall = request.getUrl().encodedPath().equals("/stall")
                        && "1".equals(request.getHeaders().get("X-Attempt"));
                return slow("ok", stall ? 5_000 : 60);
            });
            for (int i = 0; i < 40; i++) {
                assertEquals("200", learning.call(Call.get("okhttp-execute", server.url("/warm"))).get("status"));
            }
            server.drain();
            long sent = System.nanoTime();

            Map<String, String> result = learning.call(Call.get("okhttp-execute", server.url("/stall")));

            assertEquals("200", result.get("status"));
            Arrival hedge = server.takeByAttempt()[1];
            assertEquals("true", hedge.header("X-Is-Hedge"));
            long hedgeAfterMillis = (hedge.nanos - sent) / 1_000_000;
            assertTrue(hedgeAfterMillis >= 60 && hedgeAfterMillis < 1_000,
                    "hedged at about p90 of ~60 ms responses, far below the 3 s cap: " + hedgeAfterMillis + " ms");
            assertTrue(Long.parseLong(result.get("elapsedMs")) < 1_500, result.toString());
        }
    }
}
