package io.tailguard.agent.config;

import java.time.Duration;
import java.util.Objects;

/** The retry budget: extra attempts may be at most {@code ratio} of primaries, plus a floor. */
public final class BudgetConfig {

    public static final BudgetConfig DEFAULT = new BudgetConfig(0.2, 10, Duration.ofSeconds(10));

    private final double ratio;
    private final double minPerSecond;
    private final Duration ttl;

    public BudgetConfig(double ratio, double minPerSecond, Duration ttl) {
        this.ratio = ratio;
        this.minPerSecond = minPerSecond;
        this.ttl = ttl;
    }

    public double ratio() {
        return ratio;
    }

    public double minPerSecond() {
        return minPerSecond;
    }

    public Duration ttl() {
        return ttl;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BudgetConfig)) {
            return false;
        }
        BudgetConfig other = (BudgetConfig) o;
        return ratio == other.ratio && minPerSecond == other.minPerSecond && ttl.equals(other.ttl);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ratio, minPerSecond, ttl);
    }

    @Override
    public String toString() {
        return "budget(ratio " + ratio + ", " + minPerSecond + "/s floor, ttl " + ttl.toMillis() + "ms)";
    }
}
