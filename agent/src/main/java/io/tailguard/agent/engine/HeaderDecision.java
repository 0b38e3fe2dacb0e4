package io.tailguard.agent.engine;

/** What a client adapter should do with a response's body once its status line has arrived. */
public enum HeaderDecision {
    /** This attempt won: hand the body to the application. */
    DELIVER,
    /**
     * A retryable failure that may still become the final answer: keep a copy of the body, each
     * chunk {@link Exchange.AttemptListener#reserve reserved} first, and
     * {@link Exchange.AttemptListener#commit commit} when a reservation is refused.
     */
    BUFFER,
    /** Another attempt won or the request is over: drop the body. */
    DISCARD
}
