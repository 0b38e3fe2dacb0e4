package io.tailguard.agent.server;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * One incoming request as a container adapter (a Servlet container, {@code com.sun.net.httpserver})
 * presents it to the {@link ServerEngine}: what the engine needs to know of the request, and what it
 * may do with it: run the application's handler (optionally recording the response it writes),
 * answer with a response recorded for an earlier attempt, or answer at once without the handler.
 * The engine knows nothing else about the container.
 */
public interface ServerExchange {

    /** The request method, upper case. */
    String method();

    /** The request target as received: path and query, not decoded. */
    String target();

    /** The first value of a request header, or {@code null}. */
    String header(String name);

    /**
     * Every value of a request header, in order (empty when absent). Adapters whose container keeps
     * repeated headers apart should override it: the credentials that scope a coalesced or replayed
     * response are read with it, so that two callers who differ only in a second {@code Cookie}
     * header are told apart.
     */
    default List<String> headers(String name) {
        String value = header(name);
        return value == null ? List.of() : List.of(value);
    }

    /**
     * What the container authenticated of the caller beyond the request's headers (the user
     * principal's name, the TLS client certificate), as a string to fingerprint, or {@code null}.
     */
    String authenticatedIdentity();

    /**
     * Runs the application's handler exactly as without the agent, on this thread. With a
     * {@code recorder}, the status, headers and body the handler writes also go to it.
     */
    void proceed(ResponseRecorder recorder) throws Exception;

    /** Answers with a response the handler produced for another attempt; the handler does not run. */
    void replay(RecordedResponse response) throws IOException;

    /**
     * Answers at once, without running the handler (a shed retry or hedge, an {@code Idempotency-Key}
     * error): this status, these headers, this short text body.
     */
    void reject(int status, Map<String, List<String>> headers, String body) throws IOException;

    /**
     * How long the request waited in the container's queue before a thread took it up, in
     * nanoseconds, or {@link QueueWait#UNKNOWN} when the container does not say.
     */
    default long queuedNanos() {
        return QueueWait.UNKNOWN;
    }

    /** Whether the client has gone away, as far as the container can tell without blocking. */
    default boolean clientGone() {
        return false;
    }
}
