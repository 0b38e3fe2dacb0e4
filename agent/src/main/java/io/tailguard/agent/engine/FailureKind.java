package io.tailguard.agent.engine;

/** What kind of failure an attempt's exception is, as a client adapter classifies it. */
public enum FailureKind {
    /** The connection could not be established: the request never reached the server. */
    CONNECT,
    /** The connection broke before a response arrived. */
    RESET,
    /** The attempt took longer than a timeout. */
    TIMEOUT,
    /** Anything else (TLS failures, bad requests, the application's own errors): never retried. */
    OTHER,
    /**
     * The attempt never left: the client had no connection for it in time (a pooled connection
     * whose lease ran out, as for a hedge, which waits for one only briefly), or it was cancelled
     * while it still waited for one (a hedge whose request ended first). Decided as {@link
     * #OTHER}, never retried; but the dependency did nothing wrong, so the attempt neither lowers the
     * adaptive backoff's success rate nor keeps the retry budget's token it took.
     */
    NOT_SENT,
    /**
     * The application gave up on the request (its thread was interrupted while an attempt ran on
     * it): the request ends at once with this failure, and the other attempts are cancelled.
     */
    ABORTED
}
