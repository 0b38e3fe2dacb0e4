package io.tailguard.agent.engine;

/**
 * What the engine reports about one policy's requests. The metrics package implements it with
 * Micrometer; the engine only calls it.
 */
public interface RequestMetrics {

    RequestMetrics NONE = new RequestMetrics() { };

    /** An attempt was sent (in shadow mode: would have been sent). */
    default void attempt(AttemptKind kind, boolean shadow) {
    }

    /**
     * An attempt counted by {@link #attempt} never left: the client had no connection for it in
     * time ({@link FailureKind#NOT_SENT}).
     */
    default void notSent(AttemptKind kind) {
    }

    /** The budget refused a retry or a hedge. */
    default void budgetRefused(AttemptKind kind) {
    }

    /** A logical request in which a hedge was sent ended with the response of {@code winner}. */
    default void hedgeWon(AttemptKind winner) {
    }

    /**
     * A retryable response was too large to hold: the request was committed to it (no further
     * attempt) and it went to the application as the client streams it.
     */
    default void bufferCommitted(String why) {
    }

    /** A logical request ended. */
    default void requestFinished(RequestOutcome outcome, long durationNanos) {
    }

    /** How a logical request ended, as the application saw it. */
    enum RequestOutcome {
        /** A response that is not a failure (any status below 500 other than 429). */
        SUCCESS,
        /** A 5xx or 429 response. */
        STATUS_ERROR,
        /** An exception. */
        FAILURE,
        /** Cancelled by the application (or its thread interrupted). */
        CANCELLED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Creates the metrics of each policy. */
    interface Factory {
        Factory NONE = new Factory() {
            @Override
            public RequestMetrics forPolicy(String policy) {
                return RequestMetrics.NONE;
            }
        };

        RequestMetrics forPolicy(String policy);
    }
}
