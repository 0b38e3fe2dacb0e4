package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code tailguard.metrics.otlp.endpoint}: the agent pushes the same meters as the Prometheus
 * endpoint, under the same names, over OTLP/HTTP. The receiver here is a plain HTTP server that
 * decodes each push with the OpenTelemetry protocol classes, as a collector would.
 */
@Timeout(120)
class JdkOtlpMetricsTest {

    private static final Set<String> METERS = Set.of("tailguard.requests", "tailguard.attempts",
            "tailguard.attempts.not.sent", "tailguard.hedge.wins", "tailguard.budget.refused",
            "tailguard.buffer.committed", "tailguard.hedge.delay", "tailguard.request.duration");

    @AutoClose
    private final TestServer server = new TestServer();

    private final BlockingQueue<ExportMetricsServiceRequest> pushes = new LinkedBlockingQueue<>();

    private final AtomicInteger refusals = new AtomicInteger();

    /** A receiver that answers 503 to the first {@code refuse} pushes, then decodes and keeps them. */
    private HttpServer receiver(int refuse) throws Exception {
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/v1/metrics", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                byte[] body = in.readAllBytes();
                if (refusals.incrementAndGet() <= refuse) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                pushes.add(ExportMetricsServiceRequest.parseFrom(body));
                byte[] answer = ExportMetricsServiceResponse.getDefaultInstance().toByteArray();
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            } finally {
                exchange.close();
            }
        });
        receiver.start();
        return receiver;
    }

    @Test
    void pushesTheTailguardMetersToAnOtlpReceiver() throws Exception {
        HttpServer receiver = receiver(0);
        server.respondWith(request -> "2".equals(request.getHeaders().get("X-Attempt"))
                ? TestServer.ok("second attempt") : TestServer.status(503));
        String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/v1/metrics";
        try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                "tailguard.metrics.otlp.endpoint=" + endpoint,
                "tailguard.metrics.otlp.interval=1s",
                "tailguard.metrics.log.interval=0",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.tagging=true")).start()) {
            assertEquals("200", app.call(Call.get("jdk-send", server.url("/item"))).get("status"));
            assertEquals("200", app.call(Call.get("jdk-send", server.url("/item"))).get("status"));

            Map<String, Double> retries = null;
            Metric duration = null;
            Set<String> names = new TreeSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                ExportMetricsServiceRequest push = pushes.poll(1, TimeUnit.SECONDS);
                if (push == null) {
                    continue;
                }
                names.clear();
                retries = new java.util.HashMap<>();
                for (ResourceMetrics resource : push.getResourceMetricsList()) {
                    for (ScopeMetrics scope : resource.getScopeMetricsList()) {
                        for (Metric metric : scope.getMetricsList()) {
                            names.add(metric.getName());
                            if (metric.getName().equals("tailguard.attempts")) {
                                retries.putAll(points(metric));
                            }
                            if (metric.getName().equals("tailguard.request.duration")) {
                                duration = metric;
                            }
                        }
                    }
                }
                if (names.containsAll(METERS)
                        && retries.getOrDefault("policy=api,kind=retry,shadow=false", 0.0) >= 2.0) {
                    break;
                }
            }
            assertTrue(names.containsAll(METERS), "pushed " + names + "\n" + app.stderr());
            assertEquals(2.0, retries.get("policy=api,kind=primary,shadow=false"), retries.toString());
            assertEquals(2.0, retries.get("policy=api,kind=retry,shadow=false"), retries.toString());
            assertTrue(duration.hasSummary(), duration.toString());
            assertEquals(2, duration.getSummary().getDataPoints(0).getCount(), duration.toString());
            assertEquals(1, app.stderrLines(Pattern.compile("\\[tailguard]")).size(), app.stderr());
            assertTrue(app.stderr().contains("[tailguard] INFO pushing metrics over OTLP to " + endpoint), app.stderr());
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void aReceiverThatFailsIsReportedOnceAndAgainWhenPushesWork() throws Exception {
        HttpServer receiver = receiver(3);
        String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/v1/metrics";
        try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                "tailguard.metrics.otlp.endpoint=" + endpoint,
                "tailguard.metrics.otlp.interval=1s",
                "tailguard.policy.api.hosts=127.0.0.1")).start()) {
            app.awaitStderrLines("INFO pushing metrics over OTLP to " + Pattern.quote(endpoint) + " again", 1,
                    Duration.ofSeconds(60));
            assertTrue(pushes.poll(30, TimeUnit.SECONDS) != null, "a push arrived after the failures");
            List<String> warnings = app.stderrLines(Pattern.compile("\\[tailguard] WARN"));
            assertEquals(1, warnings.size(), app.stderr());
            assertTrue(warnings.get(0).startsWith("[tailguard] WARN cannot push metrics over OTLP to " + endpoint
                    + ": "), warnings.get(0));
            assertTrue(refusals.get() >= 4, "three refused pushes, then one accepted: " + refusals.get());
        } finally {
            receiver.stop(0);
        }
    }

    /** A counter's points by their attributes, "policy=api,kind=retry,shadow=false" (in a fixed order). */
    private static Map<String, Double> points(Metric metric) {
        Map<String, Double> points = new java.util.HashMap<>();
        List<NumberDataPoint> data = metric.getSum().getDataPointsList();
        for (NumberDataPoint point : data) {
            Map<String, String> attributes = new java.util.HashMap<>();
            for (KeyValue kv : point.getAttributesList()) {
                attributes.put(kv.getKey(), kv.getValue().getStringValue());
            }
            String key = "policy=" + attributes.get("policy") + ",kind=" + attributes.get("kind") + ",shadow="
                    + attributes.get("shadow");
            points.put(key, point.hasAsDouble() ? point.getAsDouble() : point.getAsInt());
        }
        return points;
    }
}
