package io.tailguard.agent.engine;

import java.util.Map;

/** One attempt as the engine asks a client adapter to send it. */
public final class AttemptSpec {

    private final int number;
    private final AttemptKind kind;
    private final Map<String, String> headers;
    private final long clientTimeoutNanos;
    private final boolean mayBeHedged;

    AttemptSpec(int number, AttemptKind kind, Map<String, String> headers, long clientTimeoutNanos,
            boolean mayBeHedged) {
        this.number = number;
        this.kind = kind;
        this.headers = headers;
        this.clientTimeoutNanos = clientTimeoutNanos;
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
     * Whether another attempt of the same request may run beside this one (the policy hedges it),
     * so that this one may lose and be left to finish ({@link Exchange.Attempt#lose()}). An adapter
     * whose attempts occupy the application's thread sends such an attempt in a way that lets that
     * thread return while the attempt goes on.
     */
    public boolean mayBeHedged() {
        return mayBeHedged;
    }
}
