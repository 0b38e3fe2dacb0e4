package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.PrometheusScrape;
import io.tailguard.it.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application with its own Micrometer 1.14 (and with it the Prometheus client 1.3, the same
 * packages as the agent's 1.7 before relocation) and slf4j 1.7 with slf4j-simple, all in use,
 * next to the agent's relocated Micrometer 1.17 and slf4j 2.
 */
@Timeout(120)
class JdkAppOwnMicrometerTest {

    @TempDir
    Path resources;

    @Test
    void applicationKeepsItsOwnMicrometerSlf4jAndMetersWhileTheAgentServesItsOwn() throws Exception {
        int port = PrometheusScrape.freePort();
        // The application configures its own Prometheus client; the agent's copy must ignore that.
        Files.writeString(resources.resolve("prometheus.properties"), "io.prometheus.exporter.httpServer.port=9400\n");
        try (TestServer server = new TestServer()) {
            server.enqueue(TestServer.status(503), TestServer.ok("one"), TestServer.status(503), TestServer.ok("two"));
            try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                    "tailguard.metrics.prometheus.port=" + port,
                    "tailguard.policy.api.hosts=127.0.0.1",
                    "tailguard.policy.api.retry.backoff.initial=10ms"))
                    .classpath(AgentedApp.clientClasspath("app-micrometer"))
                    .classpath(resources.toString())
                    .environment("IO_PROMETHEUS_EXPORTER_HTTP_SERVER_PORT", "9400")
                    .start()) {

                own(app, "init");
                for (int i = 0; i < 3; i++) {
                    own(app, "order");
                }
                assertEquals("200", app.call(Call.get("jdk-send", server.url("/a"))).get("status"));
                assertEquals("200", app.call(Call.get("jdk-send", server.url("/b"))).get("status"));
                Map<String, String> report = own(app, "report");

                // The application runs its own versions...
                assertEquals("1.14.0", report.get("micrometerVersion"), report.toString());
                assertTrue(report.get("micrometerJar").endsWith("micrometer-core-1.14.0.jar"), report.toString());
                assertTrue(report.get("prometheusJar").endsWith("prometheus-metrics-model-1.3.3.jar"), report.toString());
                assertTrue(report.get("slf4jJar").endsWith("slf4j-api-1.7.36.jar"), report.toString());
                assertEquals("org.slf4j.impl.SimpleLogger", report.get("slf4jLogger"));
                // ...its meters hold exactly what it counted, and nothing of the agent's...
                assertEquals("app.orders", report.get("globalMeters"));
                Map<String, Double> appSamples = PrometheusScrape.parse(report.get("scrape"));
                assertEquals(3.0, appSamples.get("app_orders_total"), report.get("scrape"));
                assertEquals(1, appSamples.size(), report.get("scrape"));
                // ...its log lines are its own slf4j-simple's, without the agent's prefix...
                assertEquals(3, app.stderrLines(Pattern.compile("^\\[app-command\\] INFO app - order placed$")).size(),
                        app.stderr());
                assertEquals(0, app.stderrLines(Pattern.compile("^SLF4J")).size(), app.stderr());
                assertEquals(0, app.stderrLines(Pattern.compile("\\[tailguard\\] (ERROR|WARN)")).size(), app.stderr());
                // ...while the agent counts the HTTP calls on its own endpoint.
                PrometheusScrape agent = PrometheusScrape.of(port);
                assertEquals(2.0, agent.value("tailguard_requests_total", "policy", "api", "outcome", "success"));
                assertEquals(2.0, agent.value("tailguard_attempts_total", "policy", "api", "kind", "retry",
                        "shadow", "false"));
                assertTrue(agent.samples().keySet().stream().allMatch(name -> name.startsWith("tailguard_")),
                        agent.text());
                assertEquals(4, server.requestCount());
            }
        }
    }

    private static Map<String, String> own(AgentedApp app, String action) {
        return app.send("call", Map.of("client", "app-own-metrics", "action", action), 60);
    }
}
