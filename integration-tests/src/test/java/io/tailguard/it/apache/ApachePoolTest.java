package io.tailguard.it.apache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.PrometheusScrape;
import io.tailguard.it.TestServer.Arrival;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hedging against the clients' connection pools (4.5 and HttpAsyncClient 4.1: 2 per route by default; 5.x: 5): a hedge
 * takes a connection only when the pool can give one at once, so it never waits behind its own
 * primary and nothing deadlocks; after 1,000 hedged requests every connection is back in the pool
 * and no thread is left over.
 */
@Timeout(300)
class ApachePoolTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(
            // Every primary pays for one hedge, so hedges are never refused for lack of budget.
            "tailguard.budget.ratio=1",
            ApacheApps.POLICY + "hosts=127.0.0.1",
            ApacheApps.POLICY + "hedge.delay=20ms",
            ApacheApps.POLICY + "tagging=true");

    /** Primaries answer after {@code primaryMillis}, hedges at once. */
    private void slowPrimaries(long primaryMillis) {
        server.respondWith(request -> new MockResponse.Builder().code(200)
                .body("true".equals(request.getHeaders().get("X-Is-Hedge")) ? "hedge" : "primary")
                .headersDelay("true".equals(request.getHeaders().get("X-Is-Hedge")) ? 0 : primaryMillis,
                        TimeUnit.MILLISECONDS)
                .build());
    }

    /**
     * An application whose budget holds one token (the reserve of 0.1 per second over 10 s, no
     * deposits), hedging after 300 ms, with its meters served on {@code metricsPort}.
     */
    private static AgentedApp oneTokenApp(int metricsPort) {
        return ApacheApps.start(
                "tailguard.metrics.prometheus.port=" + metricsPort,
                "tailguard.budget.ratio=0",
                "tailguard.budget.min-per-second=0.1",
                "tailguard.budget.ttl=10s",
                ApacheApps.POLICY + "hosts=127.0.0.1",
                // Long enough that even a cold client's primary has its connection first.
                ApacheApps.POLICY + "hedge.delay=300ms",
                ApacheApps.POLICY + "retry.backoff.initial=10ms",
                ApacheApps.POLICY + "retry.backoff.max=50ms",
                ApacheApps.POLICY + "tagging=true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async"})
    void aHedgeInAOneConnectionPoolDoesNotWaitBehindItsOwnPrimary(String client) throws Exception {
        // Warm: a cold client can take longer than the hedge delay before its primary even asks
        // the pool for the connection, and then the hedge legitimately gets it first.
        app.call(Call.get(client, server.url("/warm-up")).option("pool", "1"));
        server.drain();
        int before = server.requestCount();
        slowPrimaries(1_000);

        Map<String, String> result = app.call(Call.get(client, server.url("/item")).option("pool", "1"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("primary", result.get("body"));
        // The hedge found no free connection and was dropped at once: it neither went out after
        // the primary (a second request) nor held the answer back.
        assertEquals(before + 1, server.requestCount());
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 1_900, result.toString());
        assertEquals(0, ApacheApps.leasedWhenSettled(app, client, Map.of("pool", "1")));
    }

    /**
     * A hedge that found no connection never left, so it gives its budget token back: with one token
     * in the budget, the hedge takes it, and the primary's 503 is retried only because it came back.
     * The classic clients give up the hedge's wait after 10 ms; the asynchronous ones (their pools
     * look at a waiting lease's deadline only when a connection comes back) when the primary's
     * connection does.
     */
    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async"})
    void aHedgeThatFoundNoConnectionGivesItsBudgetTokenBackForTheRetry(String client) throws Exception {
        int metricsPort = PrometheusScrape.freePort();
        try (AgentedApp oneToken = oneTokenApp(metricsPort)) {
            server.enqueue(new MockResponse.Builder().code(503).body("busy")
                            .headersDelay(1_500, TimeUnit.MILLISECONDS).build(),
                    new MockResponse.Builder().code(200).body("retried").build());

            Map<String, String> result = oneToken.call(Call.get(client, server.url("/item")).option("pool", "1"));

            assertEquals("200", result.get("status"), result.toString());
            assertEquals("retried", result.get("body"));
            List<Arrival> arrivals = List.of(server.take(), server.take());
            assertEquals("1", arrivals.get(0).header("X-Attempt"));
            // The retry is the request's third attempt: the hedge that never left was the second.
            assertEquals("3", arrivals.get(1).header("X-Attempt"));
            assertEquals("false", arrivals.get(1).header("X-Is-Hedge"));
            assertEquals(2, server.requestCount());
            PrometheusScrape scrape = PrometheusScrape.of(metricsPort);
            assertEquals(1.0, scrape.value("tailguard_attempts_not_sent_total", "kind", "hedge", "policy", "api"),
                    scrape.text());
            assertEquals(0.0, scrape.value("tailguard_budget_refused_total", "kind", "retry", "policy", "api"),
                    scrape.text());
            assertEquals(1.0, scrape.value("tailguard_attempts_total", "kind", "retry", "policy", "api",
                    "shadow", "false"), scrape.text());
        }
    }

    /**
     * An asynchronous client's hedge waits in the pool's queue for the primary's connection; the
     * primary answers, the request ends, and the hedge is cancelled there, never having left: it
     * gives its budget token back, so the next request's retry, which needs that one token, goes out.
     */
    @ParameterizedTest
    @ValueSource(strings = {"apache5-async", "apache4-async"})
    void aHedgeCancelledWhileWaitingForAConnectionGivesItsBudgetTokenBack(String client) throws Exception {
        int metricsPort = PrometheusScrape.freePort();
        try (AgentedApp oneToken = oneTokenApp(metricsPort)) {
            server.enqueue(new MockResponse.Builder().code(200).body("primary")
                            .headersDelay(1_000, TimeUnit.MILLISECONDS).build(),
                    new MockResponse.Builder().code(503).body("busy").build(),
                    new MockResponse.Builder().code(200).body("retried").build());

            Map<String, String> hedged = oneToken.call(Call.get(client, server.url("/hedged")).option("pool", "1"));
            Map<String, String> retried = oneToken.call(Call.get(client, server.url("/retried")).option("pool", "1"));

            assertEquals("primary", hedged.get("body"), hedged.toString());
            assertEquals("200", retried.get("status"), retried.toString());
            assertEquals("retried", retried.get("body"), retried.toString());
            List<Arrival> arrivals = List.of(server.take(), server.take(), server.take());
            assertEquals(List.of("/hedged", "/retried", "/retried"), List.of(path(arrivals.get(0)),
                    path(arrivals.get(1)), path(arrivals.get(2))));
            assertEquals("2", arrivals.get(2).header("X-Attempt"));
            assertEquals(3, server.requestCount());
            PrometheusScrape scrape = PrometheusScrape.of(metricsPort);
            assertEquals(1.0, scrape.value("tailguard_attempts_not_sent_total", "kind", "hedge", "policy", "api"),
                    scrape.text());
            assertEquals(0.0, scrape.value("tailguard_budget_refused_total", "kind", "retry", "policy", "api"),
                    scrape.text());
        }
    }

    /**
     * Twice as many application threads as the route has connections, every primary slow: no
     * deadlock, every request answered; hedges go out only on connections that are free.
     */
    @ParameterizedTest
    @CsvSource({"apache4,2", "apache5,5", "apache5-async,5", "apache4-async,2"})
    void theDefaultPoolWithHedgingNeverDeadlocks(String client, int perRoute) throws Exception {
        slowPrimaries(200);
        int requests = perRoute * 8;
        Map<String, String> load = new HashMap<>(Call.get(client, server.url("/item")).asMap());
        load.put("count", Integer.toString(requests));
        load.put("threads", Integer.toString(perRoute * 2));

        Map<String, String> outcome = app.send("load", load, 120);

        assertEquals(Integer.toString(requests), outcome.get("outcome.200"), outcome.toString());
        List<Arrival> arrivals = server.drain();
        long hedges = arrivals.stream().filter(a -> "true".equals(a.header("X-Is-Hedge"))).count();
        System.out.println("[pool] " + client + " per-route=" + perRoute + " threads=" + perRoute * 2 + " requests="
                + requests + " on-the-wire=" + arrivals.size() + " hedges=" + hedges + " elapsedMs="
                + outcome.get("elapsedMs"));
        assertEquals(requests + hedges, arrivals.size());
        assertEquals(0, ApacheApps.leasedWhenSettled(app, client, Map.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async"})
    void aThousandHedgedRequestsLeaveNoLeasedConnectionAndNoExtraThreads(String client) throws Exception {
        // Primaries far slower than the hedge delay, so that every hedge wins: a request takes the
        // hedge delay and one quick answer, and its primary, aborted, gives its connection back.
        slowPrimaries(200);
        app.call(Call.get(client, server.url("/warm-up")));
        Map<String, String> before = app.send("threads", Map.of(), 30);
        Map<String, String> load = new HashMap<>(Call.get(client, server.url("/item")).asMap());
        load.put("count", "1000");
        load.put("threads", "1");

        Map<String, String> outcome = app.send("load", load, 240);

        assertEquals("1000", outcome.get("outcome.200"), outcome.toString());
        List<Arrival> arrivals = server.drain();
        long hedges = arrivals.stream().filter(a -> "true".equals(a.header("X-Is-Hedge"))).count();
        assertTrue(hedges >= 900, "only " + hedges + " of 1000 requests were hedged");
        assertEquals(0, ApacheApps.leasedWhenSettled(app, client, Map.of()));
        Map<String, String> after = app.send("threads", Map.of(), 30);
        System.out.println("[pool] " + client + " 1000 requests, hedges=" + hedges + " elapsedMs="
                + outcome.get("elapsedMs") + " threads before=" + before + " after=" + after);
        assertTrue(Integer.parseInt(after.get("tailguard")) <= 3, after.toString());
        assertTrue(Integer.parseInt(after.get("live")) <= Integer.parseInt(before.get("live")) + 3,
                "threads before " + before + ", after " + after);
    }

    private static String path(Arrival arrival) {
        return arrival.request.getUrl().encodedPath();
    }
}
