package io.tailguard.agent.engine;

import io.tailguard.agent.config.PolicyConfig;

/**
 * A policy together with the state it keeps between requests: the hedge delay's latency window,
 * the adaptive backoff, the budget it draws from and its meters. A reload that leaves a policy's
 * settings alone keeps that state.
 */
public final class PolicyRuntime {

    private final PolicyConfig config;
    private final HedgeDelay hedgeDelay;
    private final Backoff backoff;
    private final RetryBudget budget;
    private final RequestMetrics metrics;
    private final MillisText timeoutTexts = new MillisText();

    PolicyRuntime(PolicyConfig config, HedgeDelay hedgeDelay, Backoff backoff, RetryBudget budget,
            RequestMetrics metrics) {
        this.config = config;
        this.hedgeDelay = hedgeDelay;
        this.backoff = backoff;
        this.budget = budget;
        this.metrics = metrics;
    }

    public PolicyConfig config() {
        return config;
    }

    /** {@code null} when the policy does not hedge. */
    public HedgeDelay hedgeDelay() {
        return hedgeDelay;
    }

    public Backoff backoff() {
        return backoff;
    }

    public RetryBudget budget() {
        return budget;
    }

    public RequestMetrics metrics() {
        return metrics;
    }

    /** The text of the timeout tag this policy sent last, kept so that the next can reuse it. */
    MillisText timeoutTexts() {
        return timeoutTexts;
    }
}
