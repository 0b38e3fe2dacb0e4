package io.tailguard.agent.engine;

import java.util.Map;

/**
 * One attempt as the engine asks a client adapter to send it. The engine's own record of the
 * attempt is this object too, so that a handled call does not allocate a second one per attempt.
 */
public abstract class AttemptSpec {

    AttemptSpec() {
    }

    /** 1 for the primary, then 2, 3, ... in the order attempts start. */
    public abstract int number();

    public abstract AttemptKind kind();

    /**
     * Headers to set on this attempt's copy of the request (tagging), empty when none: a map made
     * on each call. An adapter on a request's path reads them by index instead.
     */
    public abstract Map<String, String> headers();

    /**
     * How many headers {@link #headers()} holds: with {@link #headerName} and {@link #headerValue},
     * the same headers in the same order without a map (or an iterator, or a lambda for its
     * {@code forEach}) made for every attempt.
     */
    public abstract int headerCount();

    /** The name of the i-th of {@link #headers()}, in sending order. */
    public abstract String headerName(int i);

    /**
     * The value of the i-th of {@link #headers()}, in sending order: always plain visible ASCII (a
     * request id of hex digits and hyphens, a number, {@code true} or {@code false}), so that an
     * adapter may write it into a header line as it is.
     */
    public abstract String headerValue(int i);

    /**
     * What is left of the application's own timeout for the logical request, or
     * {@link Long#MAX_VALUE} when it set none: adapters shorten the attempt's own timeout to it so
     * that retries never outlive the application's deadline.
     */
    public abstract long clientTimeoutNanos();

    /**
     * Whether the engine itself retries a response with this status for this request. A client
     * that retries statuses on its own (Apache's 503 retry) stands aside exactly then, so that
     * every re-send is an attempt the engine counts, paces and budgets; for any other request or
     * status the client's own retry runs as it would without the agent. The answer is the same
     * for every attempt of a request: on its last attempt, or when the budget refuses, the engine
     * returns the response rather than have the client retry it.
     */
    public abstract boolean engineRetriesStatus(int status);

    /**
     * Whether another attempt of the same request may run beside this one (the policy hedges it),
     * so that this one may lose and be left to finish ({@link Exchange.Attempt#lose()}). An adapter
     * whose attempts occupy the application's thread sends such an attempt in a way that lets that
     * thread return while the attempt goes on.
     */
    public abstract boolean mayBeHedged();

    /**
     * Whether the application's thread waits for this request's outcome (a blocking call, whose
     * attempts the engine runs on that thread when it is free), rather than being handed a future.
     */
    public abstract boolean callerWaits();
}
