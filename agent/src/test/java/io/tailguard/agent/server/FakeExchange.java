package io.tailguard.agent.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** A request as a container adapter would present it, with a scripted handler behind it. */
final class FakeExchange implements ServerExchange {

    /** What the application's handler does; it writes through the {@link Response}. */
    interface Handler {
        void handle(FakeExchange exchange, Response response) throws Exception;
    }

    /** The handler's view of the response: written to the client and, when recording, copied. */
    static final class Response {
        private final FakeExchange exchange;
        private final ResponseRecorder recorder;

        Response(FakeExchange exchange, ResponseRecorder recorder) {
            this.exchange = exchange;
            this.recorder = recorder;
        }

        void send(int status, String body) {
            exchange.status = status;
            exchange.responseHeaders.put("Content-Type", List.of("text/plain"));
            exchange.responseHeaders.put("Content-Length", List.of(Integer.toString(body.length())));
            exchange.body = body;
            if (recorder != null) {
                recorder.headers(status, exchange.responseHeaders);
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                recorder.body(bytes, 0, bytes.length);
            }
        }

        void flush() {
            if (recorder != null) {
                recorder.streamed();
            }
        }
    }

    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private final String method;
    private final String target;
    private final Handler handler;
    private final AtomicInteger runs;
    private String identity;
    private long queuedNanos = QueueWait.UNKNOWN;
    volatile boolean gone;
    /** Makes reading a header fail, as a bug of the engine's own would. */
    volatile boolean brokenHeaders;

    volatile String how = "unanswered";
    volatile int status;
    volatile String body;
    final Map<String, List<String>> responseHeaders = new LinkedHashMap<>();

    FakeExchange(String method, String target, Handler handler, AtomicInteger runs) {
        this.method = method;
        this.target = target;
        this.handler = handler;
        this.runs = runs;
    }

    FakeExchange header(String name, String value) {
        headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
        return this;
    }

    /** The request waited this long in the container's queue. */
    FakeExchange queuedMillis(long millis) {
        this.queuedNanos = millis * 1_000_000L;
        return this;
    }

    FakeExchange identity(String identity) {
        this.identity = identity;
        return this;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String target() {
        return target;
    }

    @Override
    public String header(String name) {
        if (brokenHeaders) {
            throw new IllegalStateException("broken");
        }
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null ? null : values.get(0);
    }

    @Override
    public List<String> headers(String name) {
        return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }

    @Override
    public String authenticatedIdentity() {
        return identity;
    }

    @Override
    public void proceed(ResponseRecorder recorder) throws Exception {
        how = recorder == null ? "handled" : "handled-recorded";
        runs.incrementAndGet();
        Throwable failure = null;
        try {
            handler.handle(this, new Response(this, recorder));
        } catch (Exception | Error e) {
            failure = e;
            throw e;
        } finally {
            if (recorder != null) {
                recorder.finished(failure);
            }
        }
    }

    @Override
    public void replay(RecordedResponse response) {
        how = "replayed";
        status = response.status();
        responseHeaders.putAll(response.headers());
        body = new String(response.body(), StandardCharsets.UTF_8);
    }

    @Override
    public void reject(int status, Map<String, List<String>> headers, String body) {
        how = "rejected";
        this.status = status;
        responseHeaders.putAll(headers);
        this.body = body;
    }

    @Override
    public long queuedNanos() {
        return queuedNanos;
    }

    @Override
    public boolean clientGone() {
        return gone;
    }
}
