package io.tailguard.it.apache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
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
}
