package io.tailguard.it.servers;

import java.util.LinkedHashMap;
import java.util.Map;

/** What a scripted server answers to one request: a status, headers and a body, optionally late, or nothing at all. */
public final class Reply {

    final int status;
    final String body;
    final Map<String, String> headers = new LinkedHashMap<>();
    long delayMs;
    boolean drop;

    private Reply(int status, String body) {
        this.status = status;
        this.body = body;
    }

    public static Reply status(int status) {
        return new Reply(status, "status " + status);
    }

    public static Reply ok(String body) {
        return new Reply(200, body);
    }

    public static Reply of(int status, String body) {
        return new Reply(status, body);
    }

    /** Reads the request and closes the connection without answering. */
    public static Reply drop() {
        Reply reply = new Reply(0, "");
        reply.drop = true;
        return reply;
    }

    public Reply header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** Waits this long after reading the request before the status line goes out. */
    public Reply after(long millis) {
        delayMs = millis;
        return this;
    }

    @Override
    public String toString() {
        return drop ? "drop" : status + " " + body + (delayMs > 0 ? " after " + delayMs + " ms" : "");
    }
}
