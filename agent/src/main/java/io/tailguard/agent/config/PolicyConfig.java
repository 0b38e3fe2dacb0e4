package io.tailguard.agent.config;

import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Set;

/** One named policy: the hosts it applies to and what it does to their requests. Immutable. */
public final class PolicyConfig {

    private final String name;
    private final List<HostPattern> hosts;
    private final int maxAttempts;
    private final Duration retryTimeout;
    private final boolean retryOnConnect;
    private final boolean retryOnReset;
    private final boolean retryOnTimeout;
    private final BitSet retryStatuses;
    private final Set<String> retryMethods;
    private final boolean idempotencyKey;
    private final Duration backoffInitial;
    private final Duration backoffMax;
    private final boolean backoffAdaptive;
    private final Duration attemptTimeout;
    private final HedgeConfig hedge;
    private final boolean tagging;
    private final BudgetConfig budget;

    PolicyConfig(Builder b) {
        this.name = b.name;
        this.hosts = List.copyOf(b.hosts);
        this.maxAttempts = b.maxAttempts;
        this.retryTimeout = b.retryTimeout;
        this.retryOnConnect = b.retryOnConnect;
        this.retryOnReset = b.retryOnReset;
        this.retryOnTimeout = b.retryOnTimeout;
        this.retryStatuses = (BitSet) b.retryStatuses.clone();
        this.retryMethods = Set.copyOf(b.retryMethods);
        this.idempotencyKey = b.idempotencyKey;
        this.backoffInitial = b.backoffInitial;
        this.backoffMax = b.backoffMax;
        this.backoffAdaptive = b.backoffAdaptive;
        this.attemptTimeout = b.attemptTimeout;
        this.hedge = b.hedge;
        this.tagging = b.tagging;
        this.budget = b.budget;
    }

    public String name() {
        return name;
    }

    public List<HostPattern> hosts() {
        return hosts;
    }

    /** Most attempts a logical request may send in all, retries and hedges included. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** Overall time budget: no attempt starts later than this after the logical request began. */
    public Duration retryTimeout() {
        return retryTimeout;
    }

    public boolean retryOnConnect() {
        return retryOnConnect;
    }

    public boolean retryOnReset() {
        return retryOnReset;
    }

    public boolean retryOnTimeout() {
        return retryOnTimeout;
    }

    public boolean retryOnStatus(int status) {
        return status >= 0 && retryStatuses.get(status);
    }

    /**
     * Whether a policy may retry this status at all: 408, 429 and 5xx. Any other means the request
     * itself is wrong or it succeeded, and {@code retry.on} refuses it.
     */
    public static boolean retryableStatus(int status) {
        return status == 408 || status == 429 || status >= 500 && status <= 599;
    }

    public Set<String> retryMethods() {
        return retryMethods;
    }

    public boolean retryIdempotencyKey() {
        return idempotencyKey;
    }

    public Duration backoffInitial() {
        return backoffInitial;
    }

    public Duration backoffMax() {
        return backoffMax;
    }

    public boolean backoffAdaptive() {
        return backoffAdaptive;
    }

    /** Per-attempt timeout, or {@code null} for none beyond the client's own. */
    public Duration attemptTimeout() {
        return attemptTimeout;
    }

    /** Hedging, or {@code null} when this policy does not hedge. */
    public HedgeConfig hedge() {
        return hedge;
    }

    public boolean tagging() {
        return tagging;
    }

    /** This policy's own budget, or {@code null} to share the global one. */
    public BudgetConfig budget() {
        return budget;
    }

    @Override
    public String toString() {
        return "policy " + name + " " + hosts;
    }

    static final class Builder {
        String name;
        List<HostPattern> hosts = List.of();
        int maxAttempts = 3;
        Duration retryTimeout = Duration.ofSeconds(10);
        boolean retryOnConnect = true;
        boolean retryOnReset = true;
        boolean retryOnTimeout = true;
        BitSet retryStatuses = new BitSet(600);
        Set<String> retryMethods = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");
        boolean idempotencyKey = true;
        Duration backoffInitial = Duration.ofMillis(100);
        Duration backoffMax = Duration.ofSeconds(2);
        boolean backoffAdaptive = true;
        Duration attemptTimeout;
        HedgeConfig hedge;
        boolean tagging;
        BudgetConfig budget;

        Builder(String name) {
            this.name = name;
            for (int status : new int[] {429, 502, 503, 504}) {
                retryStatuses.set(status);
            }
        }
    }
}
