package io.tailguard.bootstrap;

/**
 * An attempt's tags written by a client's codec, where it writes a request's header block, for an
 * attempt that runs as the application's own call (OkHttp's {@code execute()}: no tagged copy of the
 * request and its call). The client's instrumented code reaches it through {@link
 * Dispatcher#codecExchange}, {@link Dispatcher#codecHeaderLines} and {@link Dispatcher#codecHeaderList},
 * which never throw; until the agent installs one, nothing is written.
 */
public interface CodecTags {

    /** An exchange of {@code call} is about to write its request's headers, on this thread. */
    default void exchange(Object call) {
    }

    /**
     * Writes the tags' lines to {@code sink}, where an HTTP/1.1 header block is about to end, when
     * the exchange that writes it is an attempt's; {@code headers} are the lines written so far,
     * {@code requestLine} the block's first line.
     */
    default void headerLines(Object sink, Object headers, String requestLine) {
    }

    /** Adds the tags to {@code headerList}, the HTTP/2 header list made from {@code request}. */
    default void headerList(Object headerList, Object request) {
    }
}
