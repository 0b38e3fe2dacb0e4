package io.tailguard.agent.engine;

import io.tailguard.agent.config.PolicyConfig;
import java.util.Map;

/** One attempt as the engine asks a client adapter to send it. */
public final class AttemptSpec {

    private final int number;
    private final AttemptKind kind;
    private final Map<String, String> headers;
    private final long clientTimeoutNanos;
    private final PolicyConfig retriedBy;

    private final boolean mayBeHedged;

    /**
     * @param retriedBy the policy whose {@code retry.on} the engine applies to this request, or
     *     {@code null} when the engine will not retry it at all (a method or body it may not
     *     repeat, {@code retry.max-attempts=1}, shadow mode)
     * @param mayBeHedged whether the policy may hedge this request
     */
    AttemptSpec(int number, AttemptKind kind, Map<String, String> headers, long clientTimeoutNanos,
            PolicyConfig retriedBy, boolean mayBeHedged) {
        this.number = number;
        this.kind = kind;
        this.headers = headers;
        this.clientTimeoutNanos = clientTimeoutNanos;
        this.retriedBy = retriedBy;
        this.mayBeHedged = mayBeHedged;
    }

    /** 1 for the primary, then 2, 3, ... in the order attempts start. */
    public int number() {
        return number;
    }

    public AttemptKind kind() {
        return kind;
    }

    /** Headers to set on this attempt's copy of the request (tagging); empty when none. */
    public Map<String, String> headers() {
        return headers;
    }

    /**
     * What is left of the application's own timeout for the logical request, or
     * {@link Long#MAX_VALUE} when it set none: adapters shorten the attempt's own timeout to it so
     * that retries never outlive the application's deadline.
     */
    public long clientTimeoutNanos() {
        return clientTimeoutNanos;
    }

    /**
     * Whether the engine itself retries a response with this status for this request. A client
     * that retries statuses on its own (Apache's 503 retry) stands aside exactly then, so that
     * every re-send is an attempt the engine counts, paces and budgets; for any other request or
     * status the client's own retry runs as it would without the agent. The answer is the same
     * for every attempt of a request: on its last attempt, or when the budget refuses, the engine
     * returns the response rather than have the client retry it.
     */
    public boolean engineRetriesStatus(int status) {
        return retriedBy != null && retriedBy.retryOnStatus(status);
    }

    /**
     * Whether another attempt of the same request may run beside this one (the policy hedges it),
     * so that this one may lose and be left to finish ({@link Exchange.Attempt#lose()}). An adapter
     * whose attempts occupy the application's thread sends such an attempt in a way that lets that
     * thread return while the attempt goes on.
     */
    public boolean mayBeHedged() {
        return mayBeHedged;
    }
}
