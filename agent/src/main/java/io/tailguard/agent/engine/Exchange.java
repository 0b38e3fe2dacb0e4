package io.tailguard.agent.engine;

import io.tailguard.agent.config.PolicyConfig;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * One logical request as a client adapter presents it to the engine: what the engine needs to
 * know about the request, and how to send, cancel, classify and discard one attempt. The engine
 * knows nothing else about the client.
 *
 * @param <R> the client's response type
 */
public interface Exchange<R> {

    /** The request method, upper case. */
    String method();

    /** Whether the request body can be sent again (no body counts as replayable). */
    boolean replayable();

    /**
     * Whether attempts of this request can run at the same time (a hedge next to its primary).
     * Most clients copy a request per attempt, so this is {@link #replayable()}; a body that can
     * be produced again only after the previous attempt let go of it (an Apache async entity
     * producer) can be retried but not hedged.
     */
    default boolean hedgeable() {
        return replayable();
    }

    /** A header of the application's request, or {@code null}. */
    String requestHeader(String name);

    /** The application's own timeout for the whole request in nanoseconds, or {@code Long.MAX_VALUE}. */
    long clientTimeoutNanos();

    /**
     * Starts one attempt and returns at once. A blocking client runs the attempt through
     * {@code blockingWork}, which runs it on the application's own thread when that thread is
     * waiting for the result, and on a worker otherwise. The outcome goes to {@code listener}
     * exactly once.
     */
    Attempt send(AttemptSpec spec, AttemptListener<R> listener, Executor blockingWork) throws Exception;

    int status(R response);

    /** A header of the response; asked only of a response whose status {@link #mayRetry} names. */
    String responseHeader(R response, String name);

    /**
     * Whether a response with this status may be retried by any policy (408, 429, 5xx:
     * {@link PolicyConfig#retryableStatus}). Of any other the engine reads nothing but its status,
     * holds no body and asks no header, so an adapter whose client makes them costly to find need
     * not find them: {@link AttemptListener#onHeaders} may then be given a length of {@code -1}.
     */
    static boolean mayRetry(int status) {
        return PolicyConfig.retryableStatus(status);
    }

    FailureKind classify(Throwable failure);

    /** Releases a response that will not reach the application (closes it, frees its connection). */
    void discard(R response);

    /**
     * The response in the form the application receives it, or {@code null} when it receives
     * this response as it is (most responses: no stage to allocate and chain).
     */
    default CompletionStage<R> deliver(R response) {
        return null;
    }

    /** The exception this client throws when a request takes longer than {@code timeout}. */
    Throwable timeoutFailure(Duration timeout);

    /** The exception this client throws when the application cancels the request. */
    Throwable cancelledFailure();

    /** What a blocking call throws when its thread is interrupted while waiting. */
    default Throwable interruptedFailure(InterruptedException interrupted) {
        return interrupted;
    }

    /** One attempt in flight. */
    interface Attempt {
        /** Aborts the attempt; its listener still hears of the end. Must not block. */
        void cancel();

        /**
         * Another attempt won. An adapter that can let this one finish on its own, its response
         * read and dropped, does so: aborting an HTTP/1.1 exchange closes its connection, which
         * the application would otherwise have got back for later requests. Its listener still
         * hears of the end, and the engine cancels it if it has not ended by the request's
         * deadline. The default aborts it at once. Must not block.
         */
        default void lose() {
            cancel();
        }
    }

    /** Where an attempt's outcome goes. */
    interface AttemptListener<R> {
        /**
         * Optional: a client that can see the status line before it reads the body asks here what
         * to do with the body. Clients that cannot ask simply report the response.
         *
         * @param contentLength the body's announced length, or {@code -1} when it is not known
         *     (chunked, or delimited by the connection's close): a retryable response longer than
         *     may be held is {@link HeaderDecision#DELIVER delivered} (committed) at once
         */
        HeaderDecision onHeaders(int status, long contentLength);

        /** {@link #onHeaders(int, long)} for a body of unknown length. */
        default HeaderDecision onHeaders(int status) {
            return onHeaders(status, -1);
        }

        /**
         * Before holding {@code bytes} more of a {@link HeaderDecision#BUFFER buffered} body in
         * memory. {@code false}: a limit (per attempt or JVM-wide) is reached, or the request no
         * longer needs this body; the adapter must then hold nothing more and call
         * {@link #commit}. The engine releases what an attempt reserved when the attempt ends,
         * its response is discarded, or delivered.
         */
        boolean reserve(long bytes);

        /**
         * The buffered body outgrew what may be held. {@link HeaderDecision#DELIVER}: this attempt
         * is now the request's answer, no further attempt is sent; the adapter hands the
         * application the bytes already read followed by the rest of the body as the client
         * streams it. {@link HeaderDecision#DISCARD}: another attempt already won; drop the body.
         */
        HeaderDecision commit();

        void onResponse(R response);

        void onFailure(Throwable failure);
    }
}
