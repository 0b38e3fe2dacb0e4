package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.TestServer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many hedged requests: nothing leaks, and hedges only fire when responses are slow. */
@Timeout(300)
class JdkHedgeLoadTest {

    @Test
    void aThousandHedgedRequestsLeaveNoThreadsOrConnectionsBehind() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.hedge.delay=20ms",
                        "tailguard.budget.ratio=1.0",
                        "tailguard.policy.api.tagging=true")).start()) {
            // Every primary is slow, every hedge fast: every request is hedged and the hedge wins.
            server.respondWith(request -> new MockResponse.Builder().code(200).body("ok")
                    .headersDelay("1".equals(request.getHeaders().get("X-Attempt")) ? 300 : 0, TimeUnit.MILLISECONDS)
                    .build());
            Map<String, String> warmUp = load(app, server, 100);
            assertEquals("100", warmUp.get("outcome.200"), warmUp.toString());
            Map<String, String> threadsBeforeByName = app.send("threads", Map.of(), 30);
            int threadsBefore = Integer.parseInt(threadsBeforeByName.get("live"));
            int openAfterWarmUp = server.clientConnectionsOpen();
            int requestsBefore = server.requestCount();

            Map<String, String> result = load(app, server, 1_000);

            assertEquals("1000", result.get("outcome.200"), result.toString());
            int hedgedAttempts = server.requestCount() - requestsBefore;
            assertTrue(hedgedAttempts >= 1_900, "nearly every request was hedged: " + hedgedAttempts + " attempts");
            // A losing primary is left to finish (300 ms) and its connection then goes back to the
            // pool, so the pool grows with how many losers can be in flight at once (8 threads, a
            // request every ~20 ms each: about 120), not with the number of requests; a leak would
            // keep one per hedged request, about a thousand.
            int open = server.clientConnectionsOpen();
            assertTrue(open <= openAfterWarmUp + 200, "connections open after warm-up " + openAfterWarmUp + ", now "
                    + open);
            // Hedges of blocking sends run on tailguard-worker threads, which end after 5 s idle.
            JdkHedgeTest.awaitTrue(() -> Integer.parseInt(app.send("threads", Map.of(), 30).get("tailguard")) <= 4,
                    15_000);
            Map<String, String> threadsAfterByName = app.send("threads", Map.of(), 30);
            int threadsAfter = Integer.parseInt(threadsAfterByName.get("live"));
            // The client's own worker pool may grow with concurrency (hedging doubles the exchanges in
            // flight); a leak would grow with the number of requests, a thousand here.
            assertTrue(threadsAfter <= threadsBefore + 16, "threads before " + threadsBeforeByName + ", after "
                    + threadsAfterByName);
            assertTrue(Integer.parseInt(threadsAfterByName.get("tailguard")) <= 4, threadsAfterByName.toString());
            System.out.printf("1,000 hedged requests: %d attempts, threads %d -> %d %s, connections opened %d,"
                    + " open %d -> %d%n", hedgedAttempts, threadsBefore, threadsAfter, threadsAfterByName.get("names"),
                    server.connectionsOpened(), openAfterWarmUp, open);
        }
    }

    @Test
    void aFastServerIsNeverHedged() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.hedge.delay=200ms")).start()) {
            server.respondWith(request -> new MockResponse.Builder().code(200).body("ok").build());

            Map<String, String> result = load(app, server, 1_000);

            assertEquals("1000", result.get("outcome.200"), result.toString());
            // Only a response slower than 200 ms is hedged; on a loaded machine a scheduling stall can
            // make one or two that slow, so "about 1.0" means at most 1%.
            double amplification = server.requestCount() / 1_000.0;
            System.out.printf("fast server, hedge delay 200 ms: amplification %.3f%n", amplification);
            assertTrue(amplification <= 1.01, "amplification " + amplification);
        }
    }

    private static Map<String, String> load(AgentedApp app, TestServer server, int count) {
        Map<String, String> arguments = new HashMap<>();
        arguments.put("client", "jdk-send");
        arguments.put("method", "GET");
        arguments.put("url", server.url("/load"));
        arguments.put("version", "1.1");
        arguments.put("count", Integer.toString(count));
        arguments.put("threads", "8");
        return app.send("load", arguments, 240);
    }


}
