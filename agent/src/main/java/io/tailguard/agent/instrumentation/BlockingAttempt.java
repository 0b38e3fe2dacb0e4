package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.HeaderDecision;
import io.tailguard.bootstrap.Dispatcher;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Arrays;

/**
 * One attempt of a blocking client whose {@code execute} returns once the status line and headers
 * are in (Apache HttpClient 4.5 and 5 classic): execute through the client's public API, marked
 * as the engine's own so it is not intercepted again; ask the engine what to do with the body;
 * hold a response that may still be retried (reading it to its end frees its connection), drop one
 * nobody will use, and report the outcome exactly once. Runs on the executor the engine hands to
 * {@link io.tailguard.agent.engine.Exchange#send}.
 *
 * <p>Holding is bounded: each chunk read is reserved with the engine first. When a reservation is
 * refused (the body is longer than may be held), the engine commits the request to this attempt
 * and the application gets the response with a body that replays the bytes read so far and then
 * reads on from the connection, as without the agent; or another attempt had already won and the
 * response is closed.
 *
 * @param <T> the client's response type
 * @param <R> what the adapter reports to the engine
 */
public abstract class BlockingAttempt<T, R> implements Runnable {

    private static final int CHUNK = 8192;

    private final AttemptListener<R> listener;

    protected BlockingAttempt(AttemptListener<R> listener) {
        this.listener = listener;
    }

    /** Sends the attempt with the client's public API. */
    protected abstract T execute() throws Exception;

    protected abstract int status(T response);

    /** The body's announced length, {@code -1} when unknown or chunked. */
    protected abstract long contentLength(T response);

    /** The body's stream, or {@code null} when the response has none. */
    protected abstract InputStream content(T response) throws IOException;

    /**
     * Replaces the response's body with {@code body}: all of it, in memory, when {@code whole};
     * otherwise the bytes read so far followed by the rest from the connection, and closing the new
     * body must close the original entity as closing that would have.
     */
    protected abstract void replaceBody(T response, InputStream body, boolean whole);

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
        HeaderDecision decision;
        try {
            decision = listener.onHeaders(status(response), contentLength(response));
            if (decision == HeaderDecision.BUFFER) {
                decision = hold(response);
            }
        } catch (Throwable failure) {
            // An I/O failure while reading the body, or our own (an Error): the attempt ends with
            // it and the connection is let go.
            close(response);
            listener.onFailure(failure);
            return;
        }
        if (decision == HeaderDecision.DISCARD) {
            close(response);
        }
        listener.onResponse(attempted(response));
    }

    /**
     * Reads the body into memory while the engine grants the bytes.
     *
     * @return {@link HeaderDecision#BUFFER} when the whole body is held, {@link HeaderDecision#DELIVER}
     *     when the request was committed to this response, {@link HeaderDecision#DISCARD} when it is not wanted
     */
    private HeaderDecision hold(T response) throws IOException {
        InputStream in = content(response);
        if (in == null) {
            return HeaderDecision.BUFFER;
        }
        byte[] held = new byte[CHUNK];
        int count = 0;
        while (true) {
            if (held.length - count < CHUNK) {
                byte[] larger = grown(held);
                if (larger == null) {
                    return commit(response, held, count, in);
                }
                held = larger;
            }
            int n = in.read(held, count, CHUNK);
            if (n < 0) {
                // Read to the end: the connection is back in the pool.
                in.close();
                replaceBody(response, new ByteArrayInputStream(held, 0, count), true);
                return HeaderDecision.BUFFER;
            }
            if (!listener.reserve(n)) {
                return commit(response, held, count + n, in);
            }
            count += n;
        }
    }

    private HeaderDecision commit(T response, byte[] held, int count, InputStream rest) {
        HeaderDecision decision = listener.commit();
        if (decision == HeaderDecision.DELIVER) {
            replaceBody(response, new SequenceInputStream(new ByteArrayInputStream(held, 0, count), rest), false);
        }
        return decision;
    }

    /**
     * A copy twice as large, or {@code null} when the heap has no room for it (limits set beyond
     * the heap): the body is then committed as if a limit was reached, so the application gets it
     * streamed instead of an error.
     */
    private static byte[] grown(byte[] held) {
        if (held.length > Integer.MAX_VALUE / 2 - 16) {
            return null;
        }
        try {
            return Arrays.copyOf(held, held.length * 2);
        } catch (OutOfMemoryError noRoom) {
            return null;
        }
    }
}
