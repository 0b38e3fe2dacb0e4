package io.tailguard.agent.server;

/**
 * Receives a copy of the response the application's handler writes, while it is written to the
 * client as usual. The container adapter calls it; the engine decides what to keep.
 */
public interface ResponseRecorder {

    /** The status line and headers, when the response is committed (or the handler returns). */
    void headers(int status, java.util.Map<String, java.util.List<String>> headers);

    /**
     * Body bytes as the handler writes them.
     *
     * @return {@code false} when the recorder wants no more (the response outgrew what may be
     *     kept): the adapter stops copying and the response is not shared
     */
    boolean body(byte[] bytes, int offset, int length);

    /** The handler flushed before it finished (a streamed response): it is not shared. */
    void streamed();

    /**
     * The handler returned normally ({@code failure == null}) or threw. An adapter that can tell a
     * failure to deliver a complete response (its client left after the handler wrote it whole,
     * e.g. a fixed-length body fully written) from the handler's own may report {@code null} for
     * it: the response is then kept, which is what replaying a lost response needs. The engine
     * treats a handler that threw without this call as having produced nothing to share.
     */
    void finished(Throwable failure);
}
