package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code tailguard.mode=shadow}: every decision is made and counted, but the server sees exactly
 * the requests the application made, without tagging headers, and the application gets exactly
 * what it would get without the agent.
 */
@Timeout(120)
class JdkShadowModeTest {

    private static final List<String> TAGS = List.of("X-Request-ID", "X-Attempt", "X-Is-Hedge");

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void sendsOneUntaggedRequestPerCallAndCountsTheRetriesAndHedgesItWouldHaveSent(String client) throws Exception {
        int port = PrometheusScrape.freePort();
        try (TestServer api = new TestServer(); TestServer slow = new TestServer()) {
            api.enqueue(TestServer.status(503),
                    new MockResponse.Builder().code(200).body("late").headersDelay(2, TimeUnit.SECONDS).build());
            slow.enqueue(new MockResponse.Builder().code(200).body("slow but fine")
                    .headersDelay(1, TimeUnit.SECONDS).build());
            try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                    "tailguard.mode=shadow",
                    "tailguard.metrics.prometheus.port=" + port,
                    "tailguard.policy.api.hosts=127.0.0.1:" + api.port(),
                    "tailguard.policy.api.retry.backoff.initial=10ms",
                    "tailguard.policy.api.hedge.delay=500ms",
                    "tailguard.policy.api.tagging=true",
                    "tailguard.policy.slow.hosts=127.0.0.1:" + slow.port(),
                    "tailguard.policy.slow.attempt-timeout=300ms",
                    "tailguard.policy.slow.tagging=true")).start()) {

                // Enforced, this attempt would be abandoned after 300 ms and retried; in shadow the
                // application waits for the answer as it would without the agent. (First, so that
                // the agent's request path is loaded before the 503 below, which must not take
                // long enough to be hedged.)
                Map<String, String> slowButFine = app.call(Call.get(client, slow.url("/slow")));
                // Enforced, this would be retried; in shadow the application gets the 503.
                Map<String, String> failed = app.call(Call.get(client, api.url("/fails")));
                // Enforced, this would be hedged after 500 ms.
                Map<String, String> late = app.call(Call.get(client, api.url("/late")));

                assertEquals("503", failed.get("status"), failed.toString());
                assertEquals("200", late.get("status"), late.toString());
                assertEquals("late", late.get("body"));
                assertEquals("200", slowButFine.get("status"), slowButFine.toString());
                assertEquals("slow but fine", slowButFine.get("body"));
                assertEquals(2, api.requestCount());
                assertEquals(1, slow.requestCount());
                for (Arrival arrival : List.of(slow.take(), api.take(), api.take())) {
                    for (String tag : TAGS) {
                        assertNull(arrival.header(tag), tag + " on " + arrival.request);
                    }
                }

                PrometheusScrape scrape = PrometheusScrape.of(port);
                assertEquals(1.0, scrape.value("tailguard_requests_total", "policy", "api", "outcome", "status_error"));
                assertEquals(1.0, scrape.value("tailguard_requests_total", "policy", "api", "outcome", "success"));
                assertEquals(2.0, attempts(scrape, "api", "primary", "false"));
                assertEquals(0.0, attempts(scrape, "api", "retry", "false"));
                assertEquals(0.0, attempts(scrape, "api", "hedge", "false"));
                assertEquals(1.0, attempts(scrape, "api", "retry", "true"));
                assertEquals(1.0, attempts(scrape, "api", "hedge", "true"));
                assertEquals(0.0, scrape.value("tailguard_hedge_wins_total", "policy", "api", "winner", "hedge"));
                assertEquals(1.0, scrape.value("tailguard_requests_total", "policy", "slow", "outcome", "success"));
                assertEquals(1.0, attempts(scrape, "slow", "primary", "false"));
                assertEquals(0.0, attempts(scrape, "slow", "retry", "false"));
                assertEquals(1.0, attempts(scrape, "slow", "retry", "true"));
            }
        }
    }

    @Test
    void summaryLineShowsWhatWouldHaveBeenSent() throws Exception {
        try (TestServer api = new TestServer()) {
            api.enqueue(TestServer.status(503), TestServer.status(503));
            try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                    "tailguard.mode=shadow",
                    "tailguard.metrics.log.interval=1s",
                    "tailguard.policy.api.hosts=127.0.0.1",
                    "tailguard.policy.api.retry.backoff.initial=10ms")).start()) {

                app.call(Call.get("jdk-send", api.url("/a")));
                app.call(Call.get("jdk-send", api.url("/b")));

                // The first request loads the agent's request path and may straddle two intervals:
                // add the lines up.
                Pattern requests = Pattern.compile("INFO last 1s: api: (\\d+) requests?");
                Pattern sent = Pattern.compile(", (\\d+) attempts? \\(");
                Pattern wouldRetry = Pattern.compile(", would send retry (\\d+) hedge 0, amplification [0-9.]+ "
                        + "\\([0-9.]+ if enforced\\)");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                int[] totals;
                do {
                    Thread.sleep(100);
                    totals = new int[3];
                    for (String line : app.stderrLines(requests)) {
                        totals[0] += number(requests, line);
                        totals[1] += number(sent, line);
                        totals[2] += number(wouldRetry, line);
                    }
                } while (totals[0] < 2 && System.nanoTime() < deadline);
                assertArrayEquals(new int[] {2, 2, 2}, totals, app.stderr());
                assertEquals(2, api.requestCount());
            }
        }
    }

    private static int number(Pattern pattern, String line) {
        Matcher m = pattern.matcher(line);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static Double attempts(PrometheusScrape scrape, String policy, String kind, String shadow) {
        return scrape.value("tailguard_attempts_total", "policy", policy, "kind", kind, "shadow", shadow);
    }
}
