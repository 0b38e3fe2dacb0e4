package io.tailguard.agent.config;

import java.time.Duration;
import java.util.Objects;

/** Where and how often the meters are pushed over OTLP/HTTP; {@link #OFF} unless an endpoint is set. */
public final class OtlpExport {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
    public static final OtlpExport OFF = new OtlpExport("", DEFAULT_INTERVAL);

    private final String endpoint;
    private final Duration interval;

    OtlpExport(String endpoint, Duration interval) {
        this.endpoint = endpoint;
        this.interval = interval;
    }

    public boolean enabled() {
        return !endpoint.isEmpty();
    }

    /** The full URL of the metrics endpoint, e.g. {@code http://collector:4318/v1/metrics}. */
    public String endpoint() {
        return endpoint;
    }

    public Duration interval() {
        return interval;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof OtlpExport && ((OtlpExport) other).endpoint.equals(endpoint)
                && ((OtlpExport) other).interval.equals(interval);
    }

    @Override
    public int hashCode() {
        return Objects.hash(endpoint, interval);
    }

    @Override
    public String toString() {
        return enabled() ? endpoint + " every " + interval.toMillis() + " ms" : "off";
    }
}
