package io.tailguard.agent.server;

import java.util.List;
import java.util.Map;

/** A complete response the handler produced for one attempt, kept to answer another with. */
public final class RecordedResponse {

    private final int status;
    private final Map<String, List<String>> headers;
    private final byte[] body;

    public RecordedResponse(int status, Map<String, List<String>> headers, byte[] body) {
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    public int status() {
        return status;
    }

    /** Header names as the handler wrote them, each with its values in order. */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /** The body; callers must not modify it. */
    public byte[] body() {
        return body;
    }
}
