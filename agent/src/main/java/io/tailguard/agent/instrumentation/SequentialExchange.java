package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.FailureKind;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A client's exchange whose attempts must run one after the other: retried as the client's
 * exchange allows, never hedged. For a client that can send a request again but not safely twice
 * at once (a connection manager that holds one connection, or one that cannot be told to give a
 * hedge only a connection that is free at once).
 */
public final class SequentialExchange<R> implements Exchange<R> {

    private final Exchange<R> exchange;

    public SequentialExchange(Exchange<R> exchange) {
        this.exchange = exchange;
    }

    @Override
    public boolean hedgeable() {
        return false;
    }

    @Override
    public String method() {
        return exchange.method();
    }

    @Override
    public boolean replayable() {
        return exchange.replayable();
    }

    @Override
    public String requestHeader(String name) {
        return exchange.requestHeader(name);
    }

    @Override
    public long clientTimeoutNanos() {
        return exchange.clientTimeoutNanos();
    }

    @Override
    public Attempt send(AttemptSpec spec, AttemptListener<R> listener, Executor blockingWork) throws Exception {
        return exchange.send(spec, listener, blockingWork);
    }

    @Override
    public int status(R response) {
        return exchange.status(response);
    }

    @Override
    public String responseHeader(R response, String name) {
        return exchange.responseHeader(response, name);
    }

    @Override
    public FailureKind classify(Throwable failure) {
        return exchange.classify(failure);
    }

    @Override
    public void discard(R response) {
        exchange.discard(response);
    }

    @Override
    public CompletionStage<R> deliver(R response) {
        return exchange.deliver(response);
    }

    @Override
    public Throwable timeoutFailure(Duration timeout) {
        return exchange.timeoutFailure(timeout);
    }

    @Override
    public Throwable cancelledFailure() {
        return exchange.cancelledFailure();
    }

    @Override
    public Throwable interruptedFailure(InterruptedException interrupted) {
        return exchange.interruptedFailure(interrupted);
    }
}
