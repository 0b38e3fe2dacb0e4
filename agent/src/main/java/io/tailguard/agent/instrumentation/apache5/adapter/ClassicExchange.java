package io.tailguard.agent.instrumentation.apache5.adapter;

import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.instrumentation.AttemptFailures;
import io.tailguard.agent.instrumentation.BlockingAttempt;
import io.tailguard.agent.instrumentation.ClientCalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.config.Configurable;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.client5.http.impl.classic.RequestFailedException;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.Timeout;

/**
 * Apache HttpClient 5 classic's side of an attempt: a copy of the application's request that is
 * cancellable on its own ({@link AttemptRequest}; a {@code ClassicRequestBuilder} result is not),
 * executed through the public {@code execute(HttpHost, ClassicHttpRequest, HttpContext)} of the
 * application's client in a context of its own (see {@link AttemptContexts}), on the executor the
 * engine hands over: the application's thread for the primary and retries, a worker for a hedge.
 *
 * <p>As in 4.5, a response the engine may still retry is read into memory at once (within the
 * engine's limits, see {@link BlockingAttempt}) so that its pooled connection is back before the
 * next attempt asks for one, and a hedge only takes a connection the pool can give at once.
 */
final class ClassicExchange implements Exchange<ClassicExchange.Attempted>, Function<ClassicExchange.Attempted, Object> {

    /** See {@link ClientCalls#HEDGE_LEASE_WAIT_MS}. */
    static final Timeout HEDGE_LEASE_WAIT = Timeout.ofMilliseconds(ClientCalls.HEDGE_LEASE_WAIT_MS);

    private final CloseableHttpClient client;
    private final HttpHost target;
    private final ClassicHttpRequest request;
    private final HttpContext context;

    ClassicExchange(CloseableHttpClient client, HttpHost target, ClassicHttpRequest request, HttpContext context) {
        this.client = client;
        this.target = target;
        this.request = request;
        this.context = context;
    }

    @Override
    public String method() {
        return request.getMethod().toUpperCase(Locale.ROOT);
    }

    @Override
    public boolean replayable() {
        HttpEntity entity = request.getEntity();
        return entity == null || entity.isRepeatable();
    }

    @Override
    public String requestHeader(String name) {
        Header header = request.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    @Override
    public long clientTimeoutNanos() {
        return Long.MAX_VALUE;
    }

    @Override
    public Attempt send(AttemptSpec spec, AttemptListener<Attempted> listener, Executor blockingWork) {
        HttpClientContext attemptContext = AttemptContexts.create(context, spec);
        AttemptRequest copy = copy(spec, configFor(spec.kind()));
        Attempted attempt = new Attempted(copy, attemptContext, listener);
        blockingWork.execute(attempt);
        return attempt;
    }

    private AttemptRequest copy(AttemptSpec spec, RequestConfig config) {
        // The application's request's parts rather than its getUri(): httpcore5 keeps a request's
        // URI as scheme, authority and path, and getUri() builds and parses it again (some 800
        // bytes per attempt).
        AttemptRequest copy = new AttemptRequest(request.getMethod(), request.getScheme(), request.getAuthority(),
                request.getPath(), config);
        copy.setVersion(request.getVersion());
        copy.setHeaders(request.getHeaders());
        for (int i = 0, n = spec.headerCount(); i < n; i++) {
            copy.setHeader(spec.headerName(i), spec.headerValue(i));
        }
        copy.setEntity(request.getEntity());
        return copy;
    }

    private RequestConfig configFor(AttemptKind kind) {
        RequestConfig own = request instanceof Configurable ? ((Configurable) request).getConfig() : null;
        if (kind != AttemptKind.HEDGE) {
            return own;
        }
        RequestConfig base = own;
        if (base == null && context != null) {
            base = HttpClientContext.cast(context).getRequestConfig();
        }
        if (base == null && client instanceof Configurable) {
            base = ((Configurable) client).getConfig();
        }
        return RequestConfig.copy(base != null ? base : RequestConfig.DEFAULT)
                .setConnectionRequestTimeout(HEDGE_LEASE_WAIT).build();
    }

    /**
     * One execute of the application's client (see {@link BlockingAttempt}), the handle that
     * cancels it, and once it has one, its response with the context it ran in: one object per
     * attempt for all three.
     */
    final class Attempted extends BlockingAttempt<CloseableHttpResponse, Attempted> implements Attempt {
        private final AttemptRequest copy;
        final HttpClientContext context;
        /** Set before the attempt reports it. */
        CloseableHttpResponse response;

        Attempted(AttemptRequest copy, HttpClientContext context, AttemptListener<Attempted> listener) {
            super(listener);
            this.copy = copy;
            this.context = context;
        }

        @Override
        public void cancel() {
            copy.cancel();
        }

        @Override
        @SuppressWarnings("deprecation") // the only execute that returns the response rather than handling it
        protected CloseableHttpResponse execute() throws IOException {
            return client.execute(target, copy, context);
        }

        @Override
        protected int status(CloseableHttpResponse response) {
            return response.getCode();
        }

        @Override
        protected long contentLength(CloseableHttpResponse response) {
            HttpEntity entity = response.getEntity();
            return entity == null ? 0 : entity.isChunked() ? -1 : entity.getContentLength();
        }

        @Override
        protected InputStream content(CloseableHttpResponse response) throws IOException {
            HttpEntity entity = response.getEntity();
            return entity == null ? null : entity.getContent();
        }

        @Override
        protected void replaceBody(CloseableHttpResponse response, InputStream body, boolean whole) {
            response.setEntity(new ReplacedEntity(response.getEntity(), body, whole));
        }

        @Override
        protected void close(CloseableHttpResponse response) {
            closeQuietly(response);
        }

        @Override
        protected Attempted attempted(CloseableHttpResponse response) {
            this.response = response;
            return this;
        }
    }

    @Override
    public int status(Attempted attempted) {
        return attempted.response.getCode();
    }

    @Override
    public String responseHeader(Attempted attempted, String name) {
        Header header = attempted.response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    @Override
    public FailureKind classify(Throwable failure) {
        return classifyFailure(failure);
    }

    /** Shared with the async client, whose failures are the same types. */
    static FailureKind classifyFailure(Throwable failure) {
        if (failure instanceof ConnectionRequestTimeoutException || failure instanceof TimeoutException
                || failure instanceof RequestFailedException && failure.getCause() instanceof TimeoutException) {
            // The pool had no connection in time (a hedge waits for one only briefly), reported by the
            // exec runtime's own wait, by the async client's lease, or by the pool's deadline: never sent.
            return FailureKind.NOT_SENT;
        }
        if (failure instanceof ClientProtocolException || failure instanceof RequestFailedException) {
            return FailureKind.OTHER;
        }
        if (failure instanceof ConnectTimeoutException) {
            return FailureKind.CONNECT;
        }
        return AttemptFailures.classify(failure);
    }

    @Override
    public void discard(Attempted attempted) {
        closeQuietly(attempted.response);
    }

    @Override
    public Throwable timeoutFailure(Duration timeout) {
        return AttemptFailures.attemptTimeout(timeout);
    }

    @Override
    public Throwable cancelledFailure() {
        return new RequestFailedException("Request aborted");
    }

    @Override
    public Throwable interruptedFailure(InterruptedException interrupted) {
        // What 5.x throws when the thread is interrupted while it waits for a connection.
        return new RequestFailedException("Request aborted", interrupted);
    }

    /**
     * The winner's response for the application, its context's results copied to the application's.
     * (The exchange is itself the function that {@link ClientCalls#run} takes, so that a call makes
     * no method reference for it.)
     */
    @Override
    public Object apply(Attempted winner) {
        AttemptContexts.reportBack(winner.context, context);
        return winner.response;
    }

    private static void closeQuietly(CloseableHttpResponse response) {
        try {
            response.close();
        } catch (IOException | RuntimeException ignored) {
            // Closing a response nobody will read: its connection is discarded either way.
        }
    }

    /**
     * A response entity whose content is {@code body}: the bytes held in memory, or those followed
     * by the rest of the original entity's stream. Everything else (type, encoding, length,
     * chunked, trailers) is the original's, and closing it closes the original.
     */
    private static final class ReplacedEntity extends HttpEntityWrapper {
        private final InputStream body;
        private final boolean whole;

        ReplacedEntity(HttpEntity original, InputStream body, boolean whole) {
            super(original);
            this.body = body;
            this.whole = whole;
        }

        @Override
        public InputStream getContent() {
            return body;
        }

        @Override
        public boolean isStreaming() {
            return !whole;
        }

        @Override
        public boolean isRepeatable() {
            return false;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            try (InputStream in = body) {
                in.transferTo(out);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                body.close();
            } finally {
                if (!whole) {
                    super.close();
                }
            }
        }
    }
}
