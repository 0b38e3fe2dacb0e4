package io.tailguard.agent.metrics;

import io.micrometer.core.ipc.http.HttpUrlConnectionSender;
import io.micrometer.registry.otlp.OtlpConfig;
import io.micrometer.registry.otlp.OtlpHttpMetricsSender;
import io.micrometer.registry.otlp.OtlpMeterRegistry;
import io.micrometer.registry.otlp.OtlpMetricsSender;
import io.tailguard.agent.Log;
import io.tailguard.agent.config.OtlpExport;
import io.tailguard.agent.engine.DaemonThreads;
import java.time.Duration;

/**
 * Pushes the meters to an OTLP/HTTP endpoint (an OpenTelemetry collector) with Micrometer's OTLP
 * registry, every {@code tailguard.metrics.otlp.interval}, on one daemon thread. Kept apart from
 * {@link MicrometerMeters} so that the OTLP registry and the protobuf classes it needs are loaded
 * only when the push is configured. The registry reads the standard {@code OTEL_SERVICE_NAME},
 * {@code OTEL_RESOURCE_ATTRIBUTES} and {@code OTEL_EXPORTER_OTLP_HEADERS} environment variables for
 * the resource attributes and headers (authentication) of every push.
 */
final class OtlpPush {

    private final MicrometerMeters meters;
    private final OtlpMeterRegistry registry;

    private OtlpPush(MicrometerMeters meters, OtlpMeterRegistry registry) {
        this.meters = meters;
        this.registry = registry;
    }

    static OtlpPush start(MicrometerMeters meters, OtlpExport export) {
        OtlpMeterRegistry registry = OtlpMeterRegistry.builder(new AgentOtlpConfig(export))
                .threadFactory(DaemonThreads.named("tailguard-otlp"))
                .metricsSender(new OnceWhenFailing(export.endpoint()))
                .build();
        meters.add(registry);
        return new OtlpPush(meters, registry);
    }

    /** Stops pushing; the registry's close sends what was counted since the last push. */
    void stop() {
        meters.remove(registry);
        registry.close();
    }

    /**
     * Micrometer's own HTTP sender, reporting a collector that cannot be reached once, and once more
     * when pushes succeed again, instead of a warning with a stack trace at every interval.
     */
    private static final class OnceWhenFailing implements OtlpMetricsSender {
        private final OtlpMetricsSender http = new OtlpHttpMetricsSender(new HttpUrlConnectionSender());
        private final String endpoint;
        // Pushes never overlap: the registry skips one while the last is in progress.
        private boolean failing;

        OnceWhenFailing(String endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public void send(Request request) {
            try {
                http.send(request);
                if (failing) {
                    failing = false;
                    Log.info("pushing metrics over OTLP to " + endpoint + " again");
                }
            } catch (Exception e) {
                if (!failing) {
                    failing = true;
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    Log.warn("cannot push metrics over OTLP to " + endpoint + ": " + cause
                            + "; trying again at every interval, without saying so until it works. Requests are "
                            + "unaffected.");
                }
            }
        }
    }

    private static final class AgentOtlpConfig implements OtlpConfig {
        private final OtlpExport export;

        AgentOtlpConfig(OtlpExport export) {
            this.export = export;
        }

        /** Nothing from Micrometer's own property sources: the agent's configuration says it all. */
        @Override
        public String get(String key) {
            return null;
        }

        @Override
        public String url() {
            return export.endpoint();
        }

        @Override
        public Duration step() {
            return export.interval();
        }
    }
}
