package io.tailguard.agent.server;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Keeps a copy of the response the handler writes, up to a bound, for the attempts that wait for
 * it and for a replay. A response that outgrows the bound, is flushed before it is complete or
 * whose handler throws is not shared: {@link #result()} is then {@code null}.
 */
final class Recording implements ResponseRecorder {

    /**
     * Headers that describe this connection's framing, not the response: a replay frames the body
     * it writes itself.
     */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "date");

    private final long maxBytes;
    private int status = -1;
    private Map<String, List<String>> headers;
    private byte[] body = new byte[0];
    private int length;
    private boolean unshareable;
    private boolean finished;

    Recording(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public synchronized void headers(int status, Map<String, List<String>> headers) {
        this.status = status;
        Map<String, List<String>> copy = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && !FRAMING.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                copy.put(e.getKey(), List.copyOf(e.getValue()));
            }
        }
        this.headers = copy;
    }

    @Override
    public synchronized boolean body(byte[] bytes, int offset, int count) {
        if (unshareable) {
            return false;
        }
        if (length + (long) count > maxBytes) {
            drop();
            return false;
        }
        if (length + count > body.length) {
            body = Arrays.copyOf(body, (int) Math.min(maxBytes, Math.max(length + count, body.length * 2L + 256)));
        }
        System.arraycopy(bytes, offset, body, length, count);
        length += count;
        return true;
    }

    @Override
    public synchronized void streamed() {
        drop();
    }

    @Override
    public synchronized void finished(Throwable failure) {
        finished = true;
        if (failure != null) {
            drop();
        }
    }

    private void drop() {
        unshareable = true;
        body = new byte[0];
        length = 0;
    }

    /** The complete response, or {@code null} when it may not be shared. */
    synchronized RecordedResponse result() {
        if (unshareable || status < 0 || headers == null) {
            return null;
        }
        return new RecordedResponse(status, headers, Arrays.copyOf(body, length));
    }

    synchronized boolean finished() {
        return finished;
    }

    /** Roughly the memory a recorded response takes: its body and its headers' characters. */
    static long size(RecordedResponse response) {
        long size = response.body().length + 64L;
        for (Map.Entry<String, List<String>> e : response.headers().entrySet()) {
            size += e.getKey().length();
            for (String v : e.getValue()) {
                size += v == null ? 0 : v.length();
            }
        }
        return size;
    }
}
