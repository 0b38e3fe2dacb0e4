package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.Exchange.Attempt;
import io.tailguard.agent.engine.Exchange.AttemptListener;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;

/**
 * One attempt of an asynchronous Apache client (HttpAsyncClient 4.1, HttpClient 5 async): the
 * callback its {@code execute} reports to, which tells the engine, and the handle that cancels
 * it, in one object per attempt. A subclass declares its library's {@code FutureCallback}, whose
 * {@code completed}, {@code failed} and {@code cancelled} these methods are.
 *
 * <p>An attempt cancelled before the client started its request on a connection ({@link
 * #requestStarted}) never left: it waited in the pool's queue (a hedge whose request ended first)
 * or for its connection to open. Its cancellation is reported as {@link NotSent}, which the
 * adapters classify as {@code FailureKind.NOT_SENT}: the budget token it took is given back, as
 * for a hedge the pool failed.
 *
 * @param <R> what the adapter reports to the engine
 */
public abstract class AsyncAttempt<R> implements Attempt {

    private final AttemptListener<R> listener;
    /** The client's future for this attempt: set before the engine holds this as its handle. */
    private Future<R> future;

    protected AsyncAttempt(AttemptListener<R> listener) {
        this.listener = listener;
    }

    /** What the client's {@code execute} returned for this attempt. */
    public final void sent(Future<R> executing) {
        this.future = executing;
    }

    public void completed(R result) {
        listener.onResponse(result);
    }

    public void failed(Exception failure) {
        listener.onFailure(failure);
    }

    public void cancelled() {
        listener.onFailure(requestStarted() ? new CancellationException("attempt cancelled") : new NotSent());
    }

    /**
     * Whether the client has started the attempt's request on a connection it got for it, as its
     * library shows: from then on it may have reached the server. Where that is not known, true.
     */
    protected abstract boolean requestStarted();

    /** Cancels the client's future: the exchange is aborted. */
    @Override
    public void cancel() {
        future.cancel(true);
    }

    /** An attempt cancelled before its request started on a connection: it never left. */
    public static final class NotSent extends CancellationException {
        private static final long serialVersionUID = 1L;

        NotSent() {
            super("attempt cancelled before its request had a connection");
        }
    }
}
