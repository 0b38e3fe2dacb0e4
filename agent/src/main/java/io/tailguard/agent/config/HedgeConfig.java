package io.tailguard.agent.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Hedging for a policy: after {@link #delay()} (fixed) or the {@link #percentile()} of recent
 * successful latencies without a response, another attempt is sent, up to {@link #maxAttempts()}
 * in flight.
 */
public final class HedgeConfig {

    private final Duration fixedDelay;
    private final double percentile;
    private final int maxAttempts;
    private final Set<String> methods;
    private final Duration minDelay;
    private final Duration maxDelay;
    private final Duration window;
    private final int minSamples;

    HedgeConfig(Duration fixedDelay, double percentile, int maxAttempts, Set<String> methods,
            Duration minDelay, Duration maxDelay, Duration window, int minSamples) {
        this.fixedDelay = fixedDelay;
        this.percentile = percentile;
        this.maxAttempts = maxAttempts;
        this.methods = Set.copyOf(methods);
        this.minDelay = minDelay;
        this.maxDelay = maxDelay;
        this.window = window;
        this.minSamples = minSamples;
    }

    /** The fixed delay, or {@code null} when the delay is a percentile. */
    public Duration delay() {
        return fixedDelay;
    }

    /** The latency percentile (50..99.9) the delay follows; meaningful when {@link #delay()} is null. */
    public double percentile() {
        return percentile;
    }

    public boolean isAdaptive() {
        return fixedDelay == null;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public Set<String> methods() {
        return methods;
    }

    public Duration minDelay() {
        return minDelay;
    }

    public Duration maxDelay() {
        return maxDelay;
    }

    public Duration window() {
        return window;
    }

    public int minSamples() {
        return minSamples;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof HedgeConfig)) {
            return false;
        }
        HedgeConfig other = (HedgeConfig) o;
        return Objects.equals(fixedDelay, other.fixedDelay) && percentile == other.percentile
                && maxAttempts == other.maxAttempts && methods.equals(other.methods) && minDelay.equals(other.minDelay)
                && maxDelay.equals(other.maxDelay) && window.equals(other.window) && minSamples == other.minSamples;
    }

    @Override
    public int hashCode() {
        return Objects.hash(fixedDelay, percentile, maxAttempts, methods, minDelay, maxDelay, window, minSamples);
    }

    @Override
    public String toString() {
        return "hedge(" + (fixedDelay != null ? fixedDelay.toMillis() + "ms" : "p" + percentile) + ", max "
                + maxAttempts + " in flight, " + methods + ")";
    }
}
