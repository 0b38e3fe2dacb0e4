package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.util.HashMap;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;

/** The retry budget under a total outage: no retry storm, whatever the number of threads. */
@Isolated
@Timeout(300)
class JdkRetryBudgetTest {

    private static final int THREADS = 32;
    private static final int REQUESTS = 1_600;

    private static String config(String budget) {
        return String.join("\n",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.max-attempts=5",
                "tailguard.policy.api.retry.backoff.initial=1ms",
                "tailguard.policy.api.retry.backoff.max=5ms",
                "tailguard.policy.api.retry.backoff.adaptive=false",
                budget);
    }

    @Test
    void thirtyTwoThreadsAgainstAFailingServerStayWithinTheBudget() throws Exception {
        double amplification = amplificationUnderOutage(config("tailguard.budget.ratio=0.2\n"
                + "tailguard.budget.min-per-second=10\ntailguard.budget.ttl=10s"));
        // 0.2 per primary, plus the floor's reserve of 10/s x 10 s = 100 retries over 1,600 requests.
        double allowed = 1.2 + 100.0 / REQUESTS;
        System.out.printf("budget 0.2: amplification %.3f under a total outage (allowed %.3f)%n", amplification,
                allowed);
        assertTrue(amplification <= allowed + 0.01, "amplification " + amplification);
        assertTrue(amplification >= 1.15, "the budget still allows its share: " + amplification);
    }

    @Test
    void withoutABudgetTheSameOutageMultipliesTrafficByTheAttemptCount() throws Exception {
        // A floor this large means no effective budget: every request makes all five attempts.
        double amplification = amplificationUnderOutage(config("tailguard.budget.min-per-second=1000000"));
        System.out.printf("no budget: amplification %.3f under a total outage%n", amplification);
        assertTrue(amplification >= 4.9, "amplification " + amplification);
    }

    @Test
    void retriesAreAvailableAgainWithinTheTtlAfterTheServerRecovers() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.retry.backoff.initial=1ms",
                        "tailguard.policy.api.retry.backoff.max=2ms",
                        "tailguard.policy.api.tagging=true",
                        "tailguard.budget.ratio=0.1",
                        "tailguard.budget.min-per-second=1",
                        "tailguard.budget.ttl=2s")).start()) {
            server.respondWith(request -> TestServer.status(503));
            load(app, server, 200, 8);
            // The budget is spent: a failing request gets exactly one attempt now.
            int before = server.requestCount();
            assertEquals("503", app.call(Call.get("jdk-send", server.url("/outage"))).get("status"));
            assertEquals(before + 1, server.requestCount(), "no retry while the budget is spent");

            // The server recovers, except for one transient failure per probe request.
            server.respondWith(request -> "1".equals(request.getHeaders().get("X-Attempt")) && request.getUrl()
                    .encodedPath().equals("/probe") ? TestServer.status(503) : TestServer.ok("fine"));
            long recovered = System.nanoTime();
            long retriedAfterMillis = -1;
            while (retriedAfterMillis < 0 && System.nanoTime() - recovered < 5_000_000_000L) {
                Map<String, String> result = app.call(Call.get("jdk-send", server.url("/probe")));
                if ("200".equals(result.get("status"))) {
                    retriedAfterMillis = (System.nanoTime() - recovered) / 1_000_000;
                } else {
                    assertEquals("503", result.get("status"));
                    Thread.sleep(100);
                }
            }
            System.out.printf("retries available again %d ms after recovery (ttl 2 s)%n", retriedAfterMillis);
            assertTrue(retriedAfterMillis >= 0 && retriedAfterMillis <= 2_500,
                    "retries came back within the ttl: " + retriedAfterMillis + " ms");
        }
    }

    private static double amplificationUnderOutage(String config) throws Exception {
        try (TestServer server = new TestServer(); AgentedApp app = AgentedApp.withConfig(config).start()) {
            server.respondWith(request -> new MockResponse.Builder().code(503).body("down").build());
            Map<String, String> result = load(app, server, REQUESTS, THREADS);
            assertEquals(Integer.toString(REQUESTS), result.get("outcome.503"), result.toString());
            return server.requestCount() / (double) REQUESTS;
        }
    }

    static Map<String, String> load(AgentedApp app, TestServer server, int count, int threads) {
        Map<String, String> arguments = new HashMap<>();
        arguments.put("client", "jdk-send");
        arguments.put("method", "GET");
        arguments.put("url", server.url("/load"));
        arguments.put("version", "1.1");
        arguments.put("count", Integer.toString(count));
        arguments.put("threads", Integer.toString(threads));
        return app.send("load", arguments, 240);
    }
}
