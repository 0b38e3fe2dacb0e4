package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.engine.Exchange;
import io.tailguard.bootstrap.Dispatcher;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CancellationException;

/**
 * One attempt of a blocking {@code HttpClient.send}, made with {@code send} itself on the thread
 * the engine hands it (the application's own thread for the primary and retries, a worker for a
 * hedge). Calling {@code send} rather than {@code sendAsync} keeps the JDK's own path: no hand-off
 * to {@code CompletableFuture}'s default executor (on JDK 17 with two CPUs or fewer that starts a
 * thread per call), the exception types {@code send} throws, and another agent that traces
 * {@code send} sees every attempt.
 *
 * <p>{@code send} can only be cancelled by interrupting the thread running it, which makes the
 * JDK cancel the exchange and throw {@code InterruptedException}. The interrupt is given only
 * while that thread is inside this attempt (both sides hold this object's lock), and cleared when
 * the attempt ends, so it never reaches the application's code.
 */
final class BlockingSend implements Runnable, Exchange.Attempt, HttpResponse.BodyHandler<Object> {

    private final JdkExchange exchange;
    private final HttpRequest request;
    private final Exchange.AttemptListener<HttpResponse<Object>> listener;
    // Guarded by this.
    private Thread runner;
    private boolean cancelled;
    private boolean interruptedByCancel;

    BlockingSend(JdkExchange exchange, HttpRequest request, Exchange.AttemptListener<HttpResponse<Object>> listener) {
        this.exchange = exchange;
        this.request = request;
        this.listener = listener;
    }

    @Override
    public void run() {
        synchronized (this) {
            if (cancelled) {
                listener.onFailure(new CancellationException("request cancelled"));
                return;
            }
            runner = Thread.currentThread();
        }
        HttpResponse<Object> response = null;
        Throwable failure = null;
        try {
            Dispatcher.skipNextInterception();
            try {
                response = exchange.client().send(request, this);
            } finally {
                Dispatcher.clearSkip();
            }
        } catch (Throwable t) {
            failure = t;
        }
        boolean interrupted;
        synchronized (this) {
            runner = null;
            interrupted = interruptedByCancel;
        }
        if (interrupted) {
            // Our own cancel: whether send saw it or had already returned, it must not leak.
            Thread.interrupted();
            if (failure instanceof InterruptedException) {
                failure = new CancellationException("request cancelled");
            }
        }
        if (failure != null) {
            listener.onFailure(failure);
        } else {
            listener.onResponse(response);
        }
    }

    /** The attempt's body handler: the exchange decides, when the status line arrives. */
    @Override
    public HttpResponse.BodySubscriber<Object> apply(HttpResponse.ResponseInfo info) {
        return exchange.bodyFor(info, listener);
    }

    @Override
    public synchronized void cancel() {
        cancelled = true;
        if (runner != null && !interruptedByCancel) {
            interruptedByCancel = true;
            runner.interrupt();
        }
    }
}
