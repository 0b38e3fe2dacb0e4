package io.tailguard.it.urlconnection;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.PrometheusScrape;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine's metrics and shadow mode for {@code HttpURLConnection}, and hedging that stays off for it. */
@Timeout(120)
class UrlConnectionPolicyTest {

    private static final String CLIENT = "urlconnection";

    @Test
    void countsPrimaryRetryAndHedgeAttempts() throws Exception {
        int port = PrometheusScrape.freePort();
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.metrics.prometheus.port=" + port,
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.retry.backoff.initial=10ms",
                        "tailguard.policy.api.retry.backoff.max=50ms",
                        "tailguard.policy.api.hedge.delay=100ms",
                        "tailguard.policy.api.tagging=true")).start()) {
            server.enqueue(status(503), ok("retried"),
                    new MockResponse.Builder().code(200).body("slow").headersDelay(5, TimeUnit.SECONDS).build(),
                    ok("hedged"));

            Map<String, String> retried = app.call(Call.get(CLIENT, server.url("/retried")));
            Map<String, String> slow = app.call(Call.get(CLIENT, server.url("/slow")));

            assertEquals("retried", retried.get("body"), retried.toString());
            assertEquals("hedged", slow.get("body"), slow.toString());
            assertEquals(4, server.requestCount());
            server.take();
            server.take();
            assertEquals("false", server.take().header("X-Is-Hedge"));
            assertEquals("true", server.take().header("X-Is-Hedge"));
            PrometheusScrape scrape = PrometheusScrape.of(port);
            Map<String, Double> expected = Map.of(
                    PrometheusScrape.key("tailguard_requests_total", "policy", "api", "outcome", "success"), 2.0,
                    attempts("primary", "false"), 2.0,
                    attempts("retry", "false"), 1.0,
                    attempts("hedge", "false"), 1.0);
            for (Map.Entry<String, Double> e : expected.entrySet()) {
                assertEquals(e.getValue(), scrape.samples().get(e.getKey()), e.getKey() + " in\n" + scrape.text());
            }
            assertEquals(List.of(), app.agentProblems(), app.stderr());
        }
    }

    @Test
    void shadowModeSendsOneUntaggedRequestAndCountsTheRetryItWouldHaveSent() throws Exception {
        int port = PrometheusScrape.freePort();
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.mode=shadow",
                        "tailguard.metrics.prometheus.port=" + port,
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.retry.backoff.initial=10ms",
                        "tailguard.policy.api.tagging=true")).start()) {
            server.enqueue(new MockResponse.Builder().code(503).body("busy").build(), ok("never"));

            Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item")));

            assertEquals("503", result.get("status"), result.toString());
            assertEquals("busy", result.get("body"));
            Arrival only = server.take();
            assertNull(only.header("X-Attempt"));
            assertNull(only.header("X-Request-ID"));
            assertEquals(1, server.requestCount());
            PrometheusScrape scrape = PrometheusScrape.of(port);
            assertEquals(1.0, scrape.samples().get(attempts("retry", "true")), scrape.text());
            assertEquals(List.of(), app.agentProblems(), app.stderr());
        }
    }

    private static String attempts(String kind, String shadow) {
        return PrometheusScrape.key("tailguard_attempts_total", "policy", "api", "kind", kind, "shadow", shadow);
    }
}
