package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.PrometheusScrape;
import io.tailguard.it.TestServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The meters, the Prometheus endpoint and the summary line, after a scripted mix of retries,
 * hedges and budget refusals through {@code HttpClient.send}.
 */
@Timeout(120)
class JdkMetricsTest {

    /**
     * Two policies on two servers. The global budget has no deposits (ratio 0) and a reserve of
     * exactly 3 tokens for 10 minutes (0.005/s × 600 s): the script spends them on two retries and
     * one hedge, then sees one retry and one hedge refused.
     */
    @Test
    void endpointCountsExactlyWhatAScriptedMixOfRetriesHedgesAndRefusalsDid() throws Exception {
        int port = PrometheusScrape.freePort();
        try (TestServer retrying = new TestServer(); TestServer hedging = new TestServer()) {
            retrying.respondWith(JdkMetricsTest::retryScript);
            hedging.respondWith(JdkMetricsTest::hedgeScript);
            try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                    "tailguard.budget.ratio=0",
                    "tailguard.budget.min-per-second=0.005",
                    "tailguard.budget.ttl=10m",
                    "tailguard.metrics.prometheus.port=" + port,
                    "tailguard.metrics.log.interval=1s",
                    "tailguard.policy.retrying.hosts=127.0.0.1:" + retrying.port(),
                    "tailguard.policy.retrying.retry.max-attempts=2",
                    "tailguard.policy.retrying.retry.backoff.initial=10ms",
                    "tailguard.policy.retrying.retry.backoff.max=20ms",
                    "tailguard.policy.retrying.tagging=true",
                    "tailguard.policy.hedging.hosts=127.0.0.1:" + hedging.port(),
                    "tailguard.policy.hedging.retry.max-attempts=1",
                    "tailguard.policy.hedging.hedge.delay=300ms",
                    "tailguard.policy.hedging.tagging=true")).start()) {

                assertEquals("200", call(app, retrying.url("/r1")));  // retry: token 1
                assertEquals("200", call(app, hedging.url("/h1")));   // hedge wins: token 2
                assertEquals("200", call(app, retrying.url("/r2")));  // retry: token 3
                assertEquals("503", call(app, retrying.url("/r3")));  // retry refused
                assertEquals("200", call(app, hedging.url("/h2")));   // hedge refused, primary answers

                assertEquals(5, retrying.requestCount());
                assertEquals(3, hedging.requestCount());
                PrometheusScrape scrape = PrometheusScrape.of(port);
                assertTrue(scrape.contentType().startsWith("text/plain; version=0.0.4"), scrape.contentType());
                Map<String, Double> expected = Map.ofEntries(
                        Map.entry(req("retrying", "success"), 2.0),
                        Map.entry(req("retrying", "status_error"), 1.0),
                        Map.entry(req("retrying", "failure"), 0.0),
                        Map.entry(req("retrying", "cancelled"), 0.0),
                        Map.entry(att("retrying", "primary", "false"), 3.0),
                        Map.entry(att("retrying", "retry", "false"), 2.0),
                        Map.entry(att("retrying", "hedge", "false"), 0.0),
                        Map.entry(att("retrying", "retry", "true"), 0.0),
                        Map.entry(att("retrying", "hedge", "true"), 0.0),
                        Map.entry(refused("retrying", "retry"), 1.0),
                        Map.entry(refused("retrying", "hedge"), 0.0),
                        Map.entry(wins("retrying", "primary"), 0.0),
                        Map.entry(wins("retrying", "hedge"), 0.0),
                        Map.entry(req("hedging", "success"), 2.0),
                        Map.entry(req("hedging", "status_error"), 0.0),
                        Map.entry(att("hedging", "primary", "false"), 2.0),
                        Map.entry(att("hedging", "retry", "false"), 0.0),
                        Map.entry(att("hedging", "hedge", "false"), 1.0),
                        Map.entry(att("hedging", "hedge", "true"), 0.0),
                        Map.entry(refused("hedging", "retry"), 0.0),
                        Map.entry(refused("hedging", "hedge"), 1.0),
                        Map.entry(wins("hedging", "primary"), 0.0),
                        Map.entry(wins("hedging", "hedge"), 1.0),
                        Map.entry(wins("hedging", "retry"), 0.0),
                        Map.entry(key("tailguard_request_duration_seconds_count", "policy", "retrying",
                                "outcome", "success"), 2.0),
                        Map.entry(key("tailguard_request_duration_seconds_count", "policy", "retrying",
                                "outcome", "status_error"), 1.0),
                        Map.entry(key("tailguard_request_duration_seconds_count", "policy", "hedging",
                                "outcome", "success"), 2.0),
                        Map.entry(key("tailguard_hedge_delay_milliseconds", "policy", "hedging"), 300.0));
                for (Map.Entry<String, Double> e : expected.entrySet()) {
                    assertEquals(e.getValue(), scrape.samples().get(e.getKey()), e.getKey() + " in\n" + scrape.text());
                }
                assertTrue(scrape.value("tailguard_hedge_delay_milliseconds", "policy", "retrying").isNaN());
                // h2 waited for its primary's one second; the p99 of the hedged policy shows it.
                assertTrue(scrape.value("tailguard_request_duration_seconds", "policy", "hedging", "outcome", "success",
                        "quantile", "0.99") >= 0.9, scrape.text());

                // The summary lines of the intervals the script ran in add up to the same counts.
                Totals totals = awaitSummaryTotals(app, 5);
                assertEquals(3, totals.requests("retrying"));
                assertEquals(2, totals.requests("hedging"));
                assertEquals(5, totals.attempts("retrying"));
                assertEquals(3, totals.attempts("hedging"));
                assertEquals(1, totals.refusedRetries("retrying"));
                assertEquals(1, totals.refusedHedges("hedging"));
                assertTrue(app.stderr().contains("hedge delay 300.0ms"), app.stderr());
            }
        }
    }

    @Test
    void aPortInUseIsOneClearErrorAndRequestsStillWork() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
                TestServer server = new TestServer()) {
            server.enqueue(TestServer.status(503), TestServer.ok("fine"));
            try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                    "tailguard.metrics.prometheus.port=" + taken.getLocalPort(),
                    "tailguard.policy.api.hosts=127.0.0.1",
                    "tailguard.policy.api.retry.backoff.initial=10ms")).start()) {

                List<String> errors = app.awaitStderrLines("ERROR.*Prometheus", 1, Duration.ofSeconds(30));

                assertEquals(1, errors.size(), app.stderr());
                assertTrue(errors.get(0).startsWith("[tailguard] ERROR cannot serve Prometheus metrics on 127.0.0.1:"
                        + taken.getLocalPort()), errors.get(0));
                assertTrue(errors.get(0).contains("port already in use"), errors.get(0));
                assertEquals("200", call(app, server.url("/item")));
                assertEquals(2, server.requestCount());
                assertEquals(1, app.stderrLines(Pattern.compile("ERROR")).size(), app.stderr());
                assertEquals(0, app.stderrLines(Pattern.compile("Exception|\\tat ")).size(), app.stderr());
            }
        }
    }

    @Test
    void applicationExitsWhenItsMainReturnsWhileTheEndpointServes() throws Exception {
        int port = PrometheusScrape.freePort();
        try (TestServer server = new TestServer()) {
            java.nio.file.Path config = java.nio.file.Files.createTempFile("tailguard-it-", ".properties");
            java.nio.file.Files.writeString(config, String.join("\n",
                    "tailguard.metrics.prometheus.port=" + port,
                    "tailguard.metrics.log.interval=1s",
                    "tailguard.policy.api.hosts=127.0.0.1",
                    "tailguard.policy.api.hedge.delay=50ms"));
            Process app = new ProcessBuilder(AgentedApp.java(),
                    "-javaagent:" + System.getProperty("tailguard.agent.jar") + "=" + config,
                    "-cp", System.getProperty("tailguard.it.classes"),
                    io.tailguard.it.app.ReturnsFromMain.class.getName(), server.url("/item"), Integer.toString(port))
                    .redirectErrorStream(true).start();
            try {
                assertTrue(app.waitFor(60, TimeUnit.SECONDS), "the JVM is still running after main returned");
                String output = new String(app.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertEquals(0, app.exitValue(), output);
                assertTrue(output.contains("status 200") && output.contains("metrics served"), output);
            } finally {
                app.destroyForcibly();
                java.nio.file.Files.deleteIfExists(config);
            }
        }
    }

    private static MockResponse retryScript(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        boolean first = "1".equals(request.getHeaders().get("X-Attempt"));
        if (path.equals("/r3") || first) {
            return TestServer.status(503);
        }
        return TestServer.ok("retried " + path);
    }

    private static MockResponse hedgeScript(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        boolean primary = "1".equals(request.getHeaders().get("X-Attempt"));
        if (primary) {
            // h1's primary is cancelled once its hedge has answered; h2's answers after a second.
            long delay = path.equals("/h1") ? 5000 : 1000;
            return new MockResponse.Builder().code(200).body("primary " + path)
                    .headersDelay(delay, TimeUnit.MILLISECONDS).build();
        }
        return TestServer.ok("hedge " + path);
    }

    private static String call(AgentedApp app, String url) {
        Map<String, String> result = app.call(Call.get("jdk-send", url).option("version", "1.1"));
        return result.containsKey("status") ? result.get("status") : result.toString();
    }

    private static String key(String name, String... labels) {
        return PrometheusScrape.key(name, labels);
    }

    private static String req(String policy, String outcome) {
        return key("tailguard_requests_total", "policy", policy, "outcome", outcome);
    }

    private static String att(String policy, String kind, String shadow) {
        return key("tailguard_attempts_total", "policy", policy, "kind", kind, "shadow", shadow);
    }

    private static String refused(String policy, String kind) {
        return key("tailguard_budget_refused_total", "policy", policy, "kind", kind);
    }

    private static String wins(String policy, String winner) {
        return key("tailguard_hedge_wins_total", "policy", policy, "winner", winner);
    }

    /** Waits until the summary lines account for {@code requests} requests in all, and adds them up. */
    private static Totals awaitSummaryTotals(AgentedApp app, int requests) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Totals totals = new Totals(app.stderrLines(Pattern.compile("\\[tailguard\\] INFO last 1s: ")));
            if (totals.requests("retrying") + totals.requests("hedging") >= requests
                    || System.nanoTime() > deadline) {
                return totals;
            }
            Thread.sleep(100);
        }
    }

    /** What the summary lines say, added up per policy. */
    private static final class Totals {
        private static final Pattern SEGMENT = Pattern.compile(
                "(\\w+): (\\d+) requests?[^|]*?, (\\d+) attempts? \\([^)]*\\)[^|]*budget refused retry (\\d+) hedge (\\d+)");
        private final Map<String, long[]> byPolicy = new java.util.HashMap<>();

        Totals(List<String> lines) {
            for (String line : lines) {
                Matcher m = SEGMENT.matcher(line);
                while (m.find()) {
                    long[] t = byPolicy.computeIfAbsent(m.group(1), p -> new long[4]);
                    for (int i = 0; i < 4; i++) {
                        t[i] += Long.parseLong(m.group(i + 2));
                    }
                }
            }
        }

        long requests(String policy) {
            return byPolicy.getOrDefault(policy, new long[4])[0];
        }

        long attempts(String policy) {
            return byPolicy.getOrDefault(policy, new long[4])[1];
        }

        long refusedRetries(String policy) {
            return byPolicy.getOrDefault(policy, new long[4])[2];
        }

        long refusedHedges(String policy) {
            return byPolicy.getOrDefault(policy, new long[4])[3];
        }
    }
}
