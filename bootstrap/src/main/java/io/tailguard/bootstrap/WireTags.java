package io.tailguard.bootstrap;

import java.util.List;
import java.util.Map;

/**
 * An attempt's tags that a client writes among the request's own header lines, where it writes
 * them to the wire, instead of taking them as headers through its public API (the JDK client,
 * whose copies of a request's headers cost more than the rest of the agent's work). The client's
 * instrumented code reaches them through {@link Dispatcher#wireTags}, {@link
 * Dispatcher#writeWireTags} and {@link Dispatcher#addWireTags}, which never throw.
 */
public interface WireTags {

    /**
     * Appends the tags as HTTP/1.1 header lines ({@code Name: value} and CRLF each), but those
     * already among {@code written}, the headers the client has put in the block already.
     */
    default void writeLines(StringBuilder block, Map<String, List<String>> written) {
    }

    /**
     * Adds the tags to the headers the client keeps with {@code requestCopy}, its copy of the
     * request, which an HTTP/2 stream is about to encode with the user's.
     */
    default void addTo(Object requestCopy) {
    }
}
