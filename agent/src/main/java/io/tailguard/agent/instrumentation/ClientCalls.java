package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import java.util.function.Function;

/**
 * What the interceptors of the Apache clients share: host lookup, how long a hedge may wait
 * for a pooled connection, and running a blocking call.
 */
public final class ClientCalls {

    /**
     * How long a hedge waits for a pooled connection, in ms (0 means forever to Apache clients).
     * A hedge exists to beat a slow primary; one that has to queue for a connection (often the
     * very one its own primary holds, in a pool of 2 per route) cannot, and would take the
     * connection the next primary in line is waiting for. So a hedge goes out only when the pool
     * can give it a connection almost at once (a free one, or room for a new one); otherwise it
     * fails with the pool's lease timeout ({@code FailureKind.NOT_SENT}) and the primary carries on
     * alone. (The asynchronous clients' pools look at a waiting lease's deadline only when a
     * connection comes back, and then fail the lease rather than hand it the connection.) Not 1 ms: on a busy
     * machine the pool's own bookkeeping can take that long, and the hedge would be lost for
     * nothing.
     */
    public static final int HEDGE_LEASE_WAIT_MS = 10;

    private ClientCalls() {
    }

    /** The policy for a request's target, or {@code null} to pass it through; {@code port < 0} means the scheme's default. */
    public static PolicyRuntime policyFor(Engine engine, String host, int port, String scheme) {
        if (host == null) {
            return null;
        }
        int effective = port >= 0 ? port : "https".equalsIgnoreCase(scheme) ? 443 : 80;
        return engine.policyFor(host, effective);
    }

    /**
     * Runs a blocking call through the engine on the application's thread and turns its result
     * into the hooked method's {@link Outcome}: {@link Dispatcher#PROCEED} when the policy can do
     * nothing for the request, the response as {@code toApplication} makes it, or the exception
     * the client would have thrown. A failure to send the primary propagates: nothing was sent,
     * and the dispatcher then runs the method as written.
     */
    public static <R> Object run(Engine engine, PolicyRuntime policy, Exchange<R> exchange,
            Function<R, Object> toApplication) throws Exception {
        Execution<R> execution = engine.newExecution(policy, exchange, true);
        if (execution == null) {
            return Dispatcher.PROCEED;
        }
        execution.start();
        R result;
        try {
            result = execution.await();
        } catch (Throwable failure) {
            return Outcome.throwing(failure);
        }
        return Outcome.returning(toApplication.apply(result));
    }
}
