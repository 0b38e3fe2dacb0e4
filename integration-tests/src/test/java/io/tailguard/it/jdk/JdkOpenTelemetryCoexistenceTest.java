package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tailguard next to the OpenTelemetry Java agent, in both orders: both do their work. */
@Timeout(180)
class JdkOpenTelemetryCoexistenceTest {

    private static final Path OTEL = Paths.get(System.getProperty("tailguard.it.clients"), "otel",
            "opentelemetry-javaagent.jar");

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void retriesHappenAndEveryAttemptIsTraced(boolean openTelemetryFirst) throws Exception {
        AgentedApp.Builder builder = AgentedApp.withConfig(String.join("\n",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.tagging=true"));
        String otel = "-javaagent:" + OTEL;
        if (openTelemetryFirst) {
            builder.jvmOptionBeforeAgent(otel);
        } else {
            builder.jvmOption(otel);
        }
        builder.jvmOption("-Dotel.traces.exporter=logging").jvmOption("-Dotel.metrics.exporter=none")
                .jvmOption("-Dotel.logs.exporter=none").jvmOption("-Dotel.service.name=tailguard-it");
        try (TestServer server = new TestServer(); AgentedApp app = builder.start()) {
            server.enqueue(TestServer.status(503), TestServer.ok("fine"));

            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/traced")));

            assertEquals("200", result.get("status"), result + "\n" + app.stderr());
            Arrival first = server.take();
            Arrival second = server.take();
            assertEquals("1", first.header("X-Attempt"));
            assertEquals("2", second.header("X-Attempt"), "Tailguard retried");
            assertNotNull(first.header("traceparent"), "OpenTelemetry propagated its context on the first attempt");
            assertNotNull(second.header("traceparent"), "and on the retry");
            JdkHedgeTest.awaitTrue(() -> app.stderr().contains("LoggingSpanExporter"), 20_000);
            assertTrue(app.stderr().contains("'GET'"), "OpenTelemetry exported the client spans:\n" + app.stderr());
        }
    }
}
