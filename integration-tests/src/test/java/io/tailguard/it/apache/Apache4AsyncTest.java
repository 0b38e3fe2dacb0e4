package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.PrometheusScrape;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What HttpAsyncClient 4.1 adds to the scenarios the other Apache suites run for it: which bodies
 * may be hedged, one outcome per call through its future and its callback, the attempt timeout,
 * shadow mode, and its own switch. (Retries, tagging and hedging themselves: ApacheRetryTest,
 * ApacheHedgeTest, ApacheBodyReplayTest.)
 */
@Timeout(120)
class Apache4AsyncTest extends ServerPerTest {

    private static final String BODY = "payload-" + "x".repeat(5_000) + "-end";

    /** PUT may be hedged here, so that only the kind of body decides. */
    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING, ApacheApps.POLICY + "hedge.delay=50ms",
            ApacheApps.POLICY + "hedge.methods=GET,PUT");

    private static MockResponse delayed(String body, long millis) {
        return new MockResponse.Builder().code(200).body(body).headersDelay(millis, TimeUnit.MILLISECONDS).build();
    }

    private void warmUp(String client) {
        for (int i = 0; i < 3; i++) {
            app.call(Call.get(client, server.url("/warm-up")));
        }
        server.drain();
    }

    @Test
    void hedgesAPutWithAByteArrayBodyAndBothAttemptsCarryIt() throws Exception {
        warmUp("apache4-async");
        int before = server.requestCount();
        server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? delayed("fast hedge", 0) : delayed("slow primary", 3_000));

        Map<String, String> result = app.call(Call.of("apache4-async", "PUT", server.url("/blob")).body("bytes", BODY));

        assertEquals("fast hedge", result.get("body"), result.toString());
        assertEquals(before + 2, server.requestCount());
        for (Arrival arrival : List.of(server.take(), server.take())) {
            assertEquals(BODY, arrival.body());
        }
        assertEquals(0, ApacheApps.leasedWhenSettled(app, "apache4-async", Map.of()));
    }

    /**
     * An {@code NStringEntity} is its own content producer and keeps its read position: it can be
     * sent again after an attempt ends, never by two attempts at once.
     */
    @Test
    void retriesButNeverHedgesAnEntityThatIsItsOwnContentProducer() throws Exception {
        warmUp("apache4-async");
        int before = server.requestCount();
        server.enqueue(delayed("slow but fine", 400));

        Map<String, String> slow = app.call(Call.of("apache4-async", "PUT", server.url("/blob")).body("string", BODY));

        assertEquals("slow but fine", slow.get("body"), slow.toString());
        assertEquals("false", server.take().header("X-Is-Hedge"));
        assertEquals(before + 1, server.requestCount());

        server.enqueue(status(503), ok("stored"));
        Map<String, String> retried = app.call(Call.of("apache4-async", "PUT", server.url("/blob")).body("string", BODY));

        assertEquals("stored", retried.get("body"), retried.toString());
        assertEquals(BODY, server.take().body());
        assertEquals(BODY, server.take().body());
    }

    @Test
    void everyCallThroughTheFutureOrTheCallbackReportsExactlyOneOutcome() throws Exception {
        warmUp("apache4-async-callback");
        server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? delayed("fast hedge", 0) : delayed("slow primary", 1_000));
        for (String client : List.of("apache4-async", "apache4-async-callback")) {
            assertEquals("fast hedge", app.call(Call.get(client, server.url("/search"))).get("body"));
            // Nothing listens there: every attempt fails to connect, and the call fails once.
            Map<String, String> refused = app.call(Call.get(client,
                    "http://127.0.0.1:" + PrometheusScrape.freePort() + "/nowhere"));
            assertEquals("java.net.ConnectException", refused.get("error"), refused.toString());
        }

        // The losers are cancelled after the winners were delivered: by the time the pool has
        // settled, any second outcome would have been reported.
        assertEquals(0, ApacheApps.leasedWhenSettled(app, "apache4-async", Map.of()));
        Map<String, String> inspected = app.send("inspect", Map.of("client", "apache4-async"), 30);
        assertEquals("0", inspected.get("extraOutcomes"), inspected.toString());
    }

    /** The application cancels while a primary and its hedge are both in flight. */
    @Test
    void cancellingTheFutureCancelsEveryAttemptAndTheCallbackHearsOfItOnce() throws Exception {
        warmUp("apache4-async");
        server.respondWith(request -> delayed("too late", 10_000));
        String key = "cancel-" + System.nanoTime();
        CompletableFuture<Map<String, String>> answer = app.callAsync(
                Call.get("apache4-async", server.url("/slow")).option("key", key));
        server.take();
        server.take();

        app.send("cancel", Map.of("client", "apache4-async", "key", key), 30);
        Map<String, String> result = answer.get(10, TimeUnit.SECONDS);

        assertEquals("java.util.concurrent.CancellationException", result.get("error"), result.toString());
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 9_000, result.toString());
        // Both exchanges were aborted: their connections were closed, none is left leased.
        assertEquals(0, ApacheApps.leasedWhenSettled(app, "apache4-async", Map.of()));
        Map<String, String> inspected = app.send("inspect", Map.of("client", "apache4-async"), 30);
        assertEquals("0", inspected.get("extraOutcomes"), inspected.toString());
    }

    @Test
    void anAttemptTimeoutAbandonsASilentAttemptAndTheRetryIsCounted() throws Exception {
        int port = PrometheusScrape.freePort();
        try (AgentedApp timed = ApacheApps.start(
                "tailguard.metrics.prometheus.port=" + port,
                "tailguard.policy.slow.hosts=127.0.0.1",
                "tailguard.policy.slow.attempt-timeout=300ms",
                "tailguard.policy.slow.retry.backoff.initial=10ms",
                "tailguard.policy.slow.tagging=true")) {
            server.enqueue(delayed("too late", 5_000), ok("in time"));

            Map<String, String> result = timed.call(Call.get("apache4-async", server.url("/slow")));

            assertEquals("in time", result.get("body"), result.toString());
            assertTrue(Long.parseLong(result.get("elapsedMs")) < 4_000, result.toString());
            assertEquals("1", server.take().header("X-Attempt"));
            assertEquals("2", server.take().header("X-Attempt"));
            PrometheusScrape scrape = PrometheusScrape.of(port);
            assertEquals(1.0, scrape.value("tailguard_attempts_total", "kind", "retry", "policy", "slow",
                    "shadow", "false"), scrape.text());
            assertEquals(1.0, scrape.value("tailguard_requests_total", "outcome", "success", "policy", "slow"),
                    scrape.text());
        }
    }

    @Test
    void inShadowModeTheServerSeesOneUntaggedRequestAndTheApplicationGetsThe503() throws Exception {
        try (AgentedApp shadow = ApacheApps.start(ApacheApps.RETRYING, "tailguard.mode=shadow")) {
            server.enqueue(status(503), ok("hello"));

            Map<String, String> result = shadow.call(Call.get("apache4-async", server.url("/item")));

            assertEquals("503", result.get("status"), result.toString());
            Arrival only = server.take();
            assertNull(only.header("X-Attempt"));
            assertNull(only.header("X-Request-ID"));
            assertEquals(1, server.requestCount());
        }
    }

    @Test
    void switchedOffItPassesRequestsThroughWhileTheClassicClientIsStillHandled() throws Exception {
        try (AgentedApp off = ApacheApps.start(ApacheApps.RETRYING,
                "tailguard.instrumentation.apache4-async.enabled=false")) {
            server.enqueue(status(503), status(503), ok("hello"));

            Map<String, String> async = off.call(Call.get("apache4-async", server.url("/item")));
            Map<String, String> classic = off.call(Call.get("apache4", server.url("/item")));

            assertEquals("503", async.get("status"), async.toString());
            assertNull(server.take().header("X-Attempt"));
            assertEquals("200", classic.get("status"), classic.toString());
            assertEquals("1", server.take().header("X-Attempt"));
            assertEquals("2", server.take().header("X-Attempt"));
        }
    }
}
