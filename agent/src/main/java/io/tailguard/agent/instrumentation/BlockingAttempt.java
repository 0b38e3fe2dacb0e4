package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.HeaderDecision;
import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;

/**
 * One attempt of a blocking client whose {@code execute} returns once the status line and headers
 * are in (Apache HttpClient 4.5 and 5 classic): execute through the client's public API, marked
 * as the engine's own so it is not intercepted again; ask the engine what to do with the body;
 * buffer a response that may still be retried (which frees its connection), drop one nobody will
 * use, and report the outcome exactly once. Runs on the executor the engine hands to
 * {@link io.tailguard.agent.engine.Exchange#send}.
 *
 * @param <T> the client's response type
 * @param <R> what the adapter reports to the engine
 */
public abstract class BlockingAttempt<T, R> implements Runnable {

    private final AttemptListener<R> listener;

    protected BlockingAttempt(AttemptListener<R> listener) {
        this.listener = listener;
    }

    /** Sends the attempt with the client's public API. */
    protected abstract T execute() throws Exception;

    protected abstract int status(T response);

    protected abstract String header(T response, String name);

    /** Reads the body into memory so the connection goes back to the pool. */
    protected abstract void buffer(T response) throws IOException;

    /** Closes a response nobody will read; never throws. */
    protected abstract void close(T response);

    protected abstract R attempted(T response);

    @Override
    public final void run() {
        T response;
        Dispatcher.skipNextInterception();
        try {
            response = execute();
        } catch (Throwable failure) {
            listener.onFailure(failure);
            return;
        } finally {
            Dispatcher.clearSkip();
        }
        HeaderDecision decision = listener.onHeaders(status(response), header(response, "Retry-After"));
        if (decision == HeaderDecision.BUFFER) {
            try {
                buffer(response);
            } catch (IOException | RuntimeException failure) {
                close(response);
                listener.onFailure(failure);
                return;
            }
        } else if (decision == HeaderDecision.DISCARD) {
            close(response);
        }
        listener.onResponse(attempted(response));
    }
}
