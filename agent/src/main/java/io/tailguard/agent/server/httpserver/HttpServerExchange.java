package io.tailguard.agent.server.httpserver;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpsExchange;
import io.tailguard.agent.server.RecordedResponse;
import io.tailguard.agent.server.ResponseRecorder;
import io.tailguard.agent.server.ServerExchange;
import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One {@code com.sun.net.httpserver} request as the {@link io.tailguard.agent.server.ServerEngine}
 * sees it. The handler runs through the JDK's own {@code LinkHandler} (the dispatcher lets that
 * one call through), so the context's authenticator and the handler run exactly as without the
 * agent. Recording wraps the response stream with {@link HttpExchange#setStreams}, the API the JDK
 * gives filters for this.
 */
final class HttpServerExchange implements ServerExchange {

    private final HttpExchange exchange;
    private final HttpHandler next;
    private final long queuedNanos;

    HttpServerExchange(HttpExchange exchange, HttpHandler next, long queuedNanos) {
        this.exchange = exchange;
        this.next = next;
        this.queuedNanos = queuedNanos;
    }

    @Override
    public String method() {
        return exchange.getRequestMethod().toUpperCase(Locale.ROOT);
    }

    @Override
    public String target() {
        return exchange.getRequestURI().toString();
    }

    @Override
    public String header(String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    @Override
    public List<String> headers(String name) {
        List<String> values = exchange.getRequestHeaders().get(name);
        return values == null ? List.of() : values;
    }

    @Override
    public String authenticatedIdentity() {
        StringBuilder identity = new StringBuilder();
        HttpPrincipal principal = exchange.getPrincipal();
        if (principal != null) {
            identity.append("principal:").append(principal.getName());
        }
        if (exchange instanceof HttpsExchange) {
            try {
                identity.append(" tls:").append(((HttpsExchange) exchange).getSSLSession().getPeerPrincipal().getName());
            } catch (SSLPeerUnverifiedException noClientCertificate) {
                // A TLS connection without a client certificate authenticates no one.
            }
        }
        return identity.length() == 0 ? null : identity.toString();
    }

    @Override
    public long queuedNanos() {
        return queuedNanos;
    }

    @Override
    public void proceed(ResponseRecorder recorder) throws Exception {
        RecordingStream recording = null;
        if (recorder != null) {
            recording = new RecordingStream(exchange, exchange.getResponseBody(), recorder);
            exchange.setStreams(null, recording);
        }
        Throwable failure = null;
        Dispatcher.skipNextInterception();
        try {
            next.handle(exchange);
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            Dispatcher.clearSkip();
            if (recording != null) {
                recording.handlerReturned(failure);
            }
        }
    }

    @Override
    public void replay(RecordedResponse response) throws IOException {
        Headers headers = exchange.getResponseHeaders();
        for (Map.Entry<String, List<String>> e : response.headers().entrySet()) {
            headers.put(e.getKey(), e.getValue());
        }
        send(response.status(), response.body());
    }

    @Override
    public void reject(int status, Map<String, List<String>> headers, String body) throws IOException {
        exchange.getResponseHeaders().putAll(headers);
        send(status, body.getBytes(StandardCharsets.UTF_8));
    }

    private void send(int status, byte[] body) throws IOException {
        boolean noBody = body.length == 0 || "HEAD".equals(method());
        // -1: no body at all (the JDK then sends Content-Length: 0 where one belongs, and none for 204/304).
        exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!noBody) {
                out.write(body);
            }
        }
    }

    /**
     * The response stream the handler writes to, copying to the recorder on the way. The status and
     * headers are what the handler had sent when it first writes, flushes or closes (they are sent
     * before any body byte), or when it returns.
     *
     * <p>A copy is taken before the bytes go to the client: when the client has left (an attempt it
     * gave up on, the case replay exists for), the write fails and the handler sees that failure as
     * without the agent, but a fixed-length response the handler wrote whole is still complete and
     * may be shared or replayed.
     */
    static final class RecordingStream extends OutputStream {
        private final HttpExchange exchange;
        private final OutputStream out;
        private final ResponseRecorder recorder;
        private boolean headersRecorded;
        private boolean copying = true;
        private long written;
        private IOException deliveryFailure;

        RecordingStream(HttpExchange exchange, OutputStream out, ResponseRecorder recorder) {
            this.exchange = exchange;
            this.out = out;
            this.recorder = recorder;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            recordHeaders();
            if (copying && len > 0) {
                copying = recorder.body(b, off, len);
            }
            written += len;
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                delivery(e);
                throw e;
            }
        }

        @Override
        public void flush() throws IOException {
            recordHeaders();
            recorder.streamed();
            copying = false;
            out.flush();
        }

        @Override
        public void close() throws IOException {
            recordHeaders();
            try {
                out.close();
            } catch (IOException e) {
                delivery(e);
                throw e;
            }
        }

        /** The first failure to reach the client; a close after it fails too (try-with-resources). */
        private void delivery(IOException failure) {
            if (deliveryFailure == null) {
                deliveryFailure = failure;
            }
        }

        private void recordHeaders() {
            int status = exchange.getResponseCode();
            if (!headersRecorded && status > 0) {
                headersRecorded = true;
                recorder.headers(status, exchange.getResponseHeaders());
            }
        }

        void handlerReturned(Throwable failure) {
            recordHeaders();
            boolean deliveredOnlyFailed = failure != null && failure == deliveryFailure && written == declaredLength();
            recorder.finished(deliveredOnlyFailed ? null : failure);
        }

        /** The length the handler gave {@code sendResponseHeaders}, or -1 (chunked, none, unknown). */
        private long declaredLength() {
            String length = exchange.getResponseHeaders().getFirst("Content-Length");
            try {
                return length == null ? -1 : Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }
}
