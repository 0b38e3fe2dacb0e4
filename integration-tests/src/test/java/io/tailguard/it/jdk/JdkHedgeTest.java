package io.tailguard.it.jdk;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hedged requests through the JDK client: the slow attempt loses and its answer is dropped. */
@Isolated
@Timeout(120)
class JdkHedgeTest {

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.hedge.delay=100ms",
            "tailguard.policy.api.hedge.methods=GET,PUT",
            "tailguard.policy.api.tagging=true")).start();

    @AutoClose
    private final TestServer server = new TestServer();

    private static MockResponse slow(String body, long millis) {
        return new MockResponse.Builder().code(200).body(body).headersDelay(millis, TimeUnit.MILLISECONDS).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void aSlowPrimaryIsHedgedAndTheFastHedgeWins(String client) throws Exception {
        server.enqueue(slow("slow", 2_000), ok("fast"));

        Map<String, String> result = app.call(Call.get(client, server.url("/search")).option("version", "1.1"));

        assertEquals("200", result.get("status"));
        assertEquals("fast", result.get("body"));
        assertEquals("false", result.get("interrupted"),
                "cancelling the losing primary on the application's thread left no interrupt behind");
        long elapsed = Long.parseLong(result.get("elapsedMs"));
        assertTrue(elapsed < 1_000, "answered after the 100 ms hedge delay, not the 2 s stall: " + elapsed + " ms");
        server.takePrimaryAndHedge();
        // The loser is left to finish rather than aborted, which would close its connection: the
        // client keeps both (JdkHedgeNagleTest shows the loser's being reused).
        assertEquals(2, server.clientConnectionsOpen());
        assertEquals(0, server.connectionsClosedByClient());
        assertEquals(2, server.requestCount());
    }

    @Test
    void aPercentileDelayHedgesAtTheLearnedLatencyNotAtTheCap() throws Exception {
        try (AgentedApp learning = AgentedApp.withConfig(String.join("\n",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.hedge.delay=p90",
                "tailguard.policy.api.hedge.min-samples=20",
                "tailguard.policy.api.hedge.max-delay=3s",
                "tailguard.policy.api.tagging=true")).start()) {
            server.respondWith(request -> {
                boolean stall = request.getUrl().encodedPath().equals("/stall")
                        && "1".equals(request.getHeaders().get("X-Attempt"));
                return slow("ok", stall ? 5_000 : 60);
            });
            for (int i = 0; i < 40; i++) {
                assertEquals("200", learning.call(Call.get("jdk-send", server.url("/warm")).option("version", "1.1"))
                        .get("status"));
            }
            server.drain();

            Map<String, String> result = learning.call(Call.get("jdk-send", server.url("/stall")).option("version", "1.1"));

            assertEquals("200", result.get("status"));
            Arrival[] byAttempt = server.takeByAttempt();
            Arrival primary = byAttempt[0];
            Arrival hedge = byAttempt[1];
            assertEquals("true", hedge.header("X-Is-Hedge"));
            long gapMillis = (hedge.nanos - primary.nanos) / 1_000_000;
            assertTrue(gapMillis >= 20 && gapMillis < 1_000,
                    "hedged at about p90 of ~60 ms responses, far below the 3 s cap: " + gapMillis + " ms");
            assertTrue(Long.parseLong(result.get("elapsedMs")) < 1_500, result.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void neverHedgesAPost(String client) throws Exception {
        server.enqueue(slow("created", 500));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders")).body("string", "order")
                .option("version", "1.1"));

        assertEquals("200", result.get("status"));
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void neverHedgesABodyThatCannotBeReplayed(String client) throws Exception {
        server.enqueue(slow("stored", 500));

        Map<String, String> result = app.call(Call.of(client, "PUT", server.url("/blob")).body("publisher", "once")
                .option("version", "1.1"));

        assertEquals("200", result.get("status"));
        assertEquals("once", server.take().body());
        assertEquals(1, server.requestCount());
    }

    @Test
    void aReplayableBodyIsHedgedIntact() throws Exception {
        server.enqueue(slow("slow", 2_000), ok("fast"));

        Map<String, String> result = app.call(Call.of("jdk-send", "PUT", server.url("/blob")).body("bytes", "payload")
                .option("version", "1.1"));

        assertEquals("fast", result.get("body"));
        assertEquals("payload", server.take().body());
        assertEquals("payload", server.take().body());
    }

    @Test
    void aStreamingResponseOfTheWinnerReachesTheApplicationWhole() throws Exception {
        server.enqueue(slow("slow", 2_000), ok("x".repeat(100_000)));

        Map<String, String> result = app.call(Call.get("jdk-send", server.url("/big")).option("handler", "inputStream")
                .option("version", "1.1"));

        assertEquals("x".repeat(100_000), result.get("body"));
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeoutMillis + " ms");
            }
            Thread.sleep(20);
        }
    }
}
