package io.tailguard.agent.server;

import java.util.Locale;

/** What the server side did with one request. */
public enum ServerOutcome {
    /** The application's handler ran for it. */
    HANDLED,
    /** It got a copy of the response another attempt of the same request was being handled for. */
    COALESCED,
    /** It got the stored response of a completed request with the same {@code Idempotency-Key}. */
    REPLAYED,
    /** A retry or hedge refused at the concurrency limit or past the queue time bound. */
    SHED,
    /** Answered 422: an {@code Idempotency-Key} reused for a different request. */
    REJECTED,
    /** It waited for another attempt, and its client left before that one finished. */
    ABANDONED,
    /**
     * Answered without the handler: its client said how long it still waited, and that time ran
     * out in the container's queue or while it waited for another attempt.
     */
    EXPIRED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
