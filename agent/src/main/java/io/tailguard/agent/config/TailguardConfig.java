package io.tailguard.agent.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/** One complete, validated configuration. Immutable: a reload builds a new one and swaps it in. */
public final class TailguardConfig {

    private final String source;
    private final boolean enabled;
    private final boolean strict;
    private final Mode mode;
    private final BudgetConfig budget;
    private final BufferLimits bufferLimits;
    private final int prometheusPort;
    private final String prometheusAddress;
    private final Duration metricsLogInterval;
    private final String logLevel;
    private final Duration reloadInterval;
    private final TaggingHeaders taggingHeaders;
    private final Set<String> disabledInstrumentations;
    private final List<PolicyConfig> policies;
    private final OtlpExport otlp;
    private final HostMatcher matcher;
    private final ServerConfig server;

    TailguardConfig(String source, boolean enabled, boolean strict, Mode mode, BudgetConfig budget,
            BufferLimits bufferLimits, int prometheusPort, String prometheusAddress, Duration metricsLogInterval, String logLevel,
            Duration reloadInterval, TaggingHeaders taggingHeaders, Set<String> disabledInstrumentations,
            List<PolicyConfig> policies, OtlpExport otlp, ServerConfig server) {
        this.source = source;
        this.enabled = enabled;
        this.strict = strict;
        this.mode = mode;
        this.budget = budget;
        this.bufferLimits = bufferLimits;
        this.prometheusPort = prometheusPort;
        this.prometheusAddress = prometheusAddress;
        this.metricsLogInterval = metricsLogInterval;
        this.logLevel = logLevel;
        this.reloadInterval = reloadInterval;
        this.taggingHeaders = taggingHeaders;
        this.disabledInstrumentations = Set.copyOf(disabledInstrumentations);
        this.policies = List.copyOf(policies);
        this.otlp = otlp;
        this.matcher = new HostMatcher(this.policies);
        this.server = server;
    }

    /** The server side: what the agent does with requests this JVM serves. */
    public ServerConfig server() {
        return server;
    }

    /** Where this configuration was read from, for log lines. */
    public String source() {
        return source;
    }

    public boolean enabled() {
        return enabled;
    }

    public boolean strict() {
        return strict;
    }

    public Mode mode() {
        return mode;
    }

    public BudgetConfig budget() {
        return budget;
    }

    /** How many bytes of retryable responses may be held, per attempt and JVM-wide. */
    public BufferLimits bufferLimits() {
        return bufferLimits;
    }

    public int prometheusPort() {
        return prometheusPort;
    }

    public String prometheusAddress() {
        return prometheusAddress;
    }

    /** The OTLP push of the meters, {@link OtlpExport#OFF} unless configured. */
    public OtlpExport otlp() {
        return otlp;
    }

    public Duration metricsLogInterval() {
        return metricsLogInterval;
    }

    public String logLevel() {
        return logLevel;
    }

    public Duration reloadInterval() {
        return reloadInterval;
    }

    public TaggingHeaders taggingHeaders() {
        return taggingHeaders;
    }

    public boolean instrumentationEnabled(String name) {
        return !disabledInstrumentations.contains(name);
    }

    public List<PolicyConfig> policies() {
        return policies;
    }

    /** @return the policy for the host and port, or {@code null} to pass the request through */
    public PolicyConfig policyFor(String host, int port) {
        return matcher.policyFor(host, port);
    }

    @Override
    public String toString() {
        return "config from " + source + ": " + policies.size() + " policies, mode " + mode;
    }

    /** The header names request tagging writes. */
    public static final class TaggingHeaders {
        private final String requestId;
        private final String attempt;
        private final String hedge;
        private final String timeout;

        TaggingHeaders(String requestId, String attempt, String hedge, String timeout) {
            this.requestId = requestId;
            this.attempt = attempt;
            this.hedge = hedge;
            this.timeout = timeout;
        }

        public String requestId() {
            return requestId;
        }

        public String attempt() {
            return attempt;
        }

        public String hedge() {
            return hedge;
        }

        /** The header with the milliseconds the client still waits for an attempt. */
        public String timeout() {
            return timeout;
        }
    }
}
