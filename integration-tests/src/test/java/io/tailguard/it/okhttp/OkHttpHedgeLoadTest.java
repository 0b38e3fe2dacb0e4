package io.tailguard.it.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Await;
import io.tailguard.it.TestServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A thousand hedged calls through each API leave OkHttp's connection pool as it was (every
 * loser's call cancelled and its response closed, no connection held or leaked) and the
 * application with no more threads than before.
 */
@Timeout(600)
class OkHttpHedgeLoadTest {

    /** OkHttp's default {@code ConnectionPool} keeps at most 5 idle connections. */
    private static final int POOL_MAX_IDLE = 5;
    private static final int THREADS = 4;

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versions")
    void aThousandHedgedCallsLeaveThePoolAtItsIdleLevelAndNoThreadsBehind(String version) throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.hedge.delay=20ms",
                        "tailguard.budget.ratio=1.0",
                        "tailguard.policy.api.tagging=true"))
                        .classpath(AgentedApp.clientClasspath(version)).start()) {
            // Every primary is slow, every hedge fast: every call is hedged and the hedge wins.
            AtomicInteger hedgesArrived = new AtomicInteger();
            server.respondWith(request -> {
                if ("true".equals(request.getHeaders().get("X-Is-Hedge"))) {
                    hedgesArrived.incrementAndGet();
                }
                return new MockResponse.Builder().code(200).body("ok")
                        .headersDelay("1".equals(request.getHeaders().get("X-Attempt")) ? 300 : 0, TimeUnit.MILLISECONDS)
                        .build();
            });
            for (String api : OkHttpApps.APIS) {
                Map<String, String> warmUp = load(app, server, api, 100);
                assertEquals("100", warmUp.get("outcome.200"), warmUp.toString());
                Map<String, String> poolBefore = settledPool(app, api);
                Map<String, String> processBefore = app.send("threads", Map.of(), 30);
                int threadsBefore = Integer.parseInt(processBefore.get("live"));
                long filesBefore = Long.parseLong(processBefore.get("openFiles"));
                int requestsBefore = server.requestCount();
                int hedgesBefore = hedgesArrived.get();
                int connectionsBefore = server.connectionsOpened();

                Map<String, String> result = load(app, server, api, 1_000);

                assertEquals("1000", result.get("outcome.200"), api + ": " + result);
                int attempts = server.requestCount() - requestsBefore;
                // Counted as the hedges that reached the server, which is what this test is about.
                // Whether each cancelled primary reached it first depends on the machine: one still
                // waiting for its connection when its hedge has won is cancelled unsent. (A loaded
                // CI run counted 1,853 attempts for 1,000 calls, without telling which were missing.)
                int hedges = hedgesArrived.get() - hedgesBefore;
                assertTrue(hedges >= 950, api + ": nearly every call was hedged: " + hedges + " hedges, " + attempts
                        + " attempts");
                Map<String, String> poolAfter = settledPool(app, api);
                int connections = Integer.parseInt(poolAfter.get("connections"));
                assertTrue(connections <= Math.max(POOL_MAX_IDLE, Integer.parseInt(poolBefore.get("connections"))),
                        api + ": the pool is back at its idle level: before " + poolBefore + ", after " + poolAfter);
                Map<String, String> processAfter = app.send("threads", Map.of(), 30);
                int threadsAfter = Integer.parseInt(processAfter.get("live"));
                long filesAfter = Long.parseLong(processAfter.get("openFiles"));
                // A pool thread or two may come and go; a leak would be one per call.
                assertTrue(threadsAfter <= threadsBefore + 4,
                        api + ": threads before " + threadsBefore + ", after " + threadsAfter);
                // Each call opened a connection for the hedge that replaced the cancelled primary's
                // (~1,000 new connections): every one of them was closed again.
                assertTrue(filesAfter <= filesBefore + 8,
                        api + ": open files (sockets) before " + filesBefore + ", after " + filesAfter);
                System.out.printf("%s %s: 1,000 hedged calls, %d hedges, %d attempts, %d connections opened; pool %s"
                        + " -> %s, threads %d -> %d, open files %d -> %d%n", version, api, hedges, attempts,
                        server.connectionsOpened() - connectionsBefore, poolBefore.get("connections"), poolAfter.get("connections"),
                        threadsBefore, threadsAfter, filesBefore, filesAfter);
            }
            assertEquals(List.of(), OkHttpApps.agentProblems(app), "no internal failure fell back to the plain call");
        }
    }

    /** The pool once OkHttp runs no call: every connection in it must be idle, none held by a leaked response. */
    private static Map<String, String> settledPool(AgentedApp app, String api) throws InterruptedException {
        AtomicReference<Map<String, String>> state = new AtomicReference<>();
        Await.until(() -> {
            state.set(app.send("inspect", Map.of("client", api, "awaitIdle", "true"), 60));
            return state.get().get("connections").equals(state.get().get("idleConnections"));
        }, 10_000, api + ": every pooled connection idle");
        return state.get();
    }

    private static Map<String, String> load(AgentedApp app, TestServer server, String api, int count) {
        Map<String, String> arguments = new HashMap<>();
        arguments.put("client", api);
        arguments.put("method", "GET");
        arguments.put("url", server.url("/load"));
        arguments.put("count", Integer.toString(count));
        arguments.put("threads", Integer.toString(THREADS));
        return app.send("load", arguments, 300);
    }

}
