package io.tailguard.agent.instrumentation.apache4.adapter;

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
import java.util.function.Function;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.HttpEntityEnclosingRequest;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.client.ClientProtocolException;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.Configurable;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.conn.ConnectTimeoutException;
import org.apache.http.conn.ConnectionPoolTimeoutException;
import org.apache.http.entity.HttpEntityWrapper;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.execchain.RequestAbortedException;
import org.apache.http.protocol.BasicHttpContext;
import org.apache.http.protocol.HttpContext;

/**
 * Apache HttpClient 4.5's side of an attempt: an independent copy of the application's request
 * (its own abort handle, the same entity object), executed through the public
 * {@code execute(HttpHost, HttpRequest, HttpContext)} of the application's client with a context
 * of its own that reads through to the application's (cookie store, credentials, auth cache).
 * The attempt runs on the executor the engine hands over: the application's thread for the
 * primary and for retries, a worker for a hedge. Cancelling aborts the copy only.
 *
 * <p>A response the engine may still retry (a 503, say) is read into memory at once, which hands
 * its pooled connection back before the next attempt asks for one: holding it while a retry waits
 * for a connection of a one- or two-connection route would deadlock. How much is held is bounded
 * (see {@link BlockingAttempt}).
 */
final class Apache4Exchange implements Exchange<Apache4Exchange.Attempted>, Function<Apache4Exchange.Attempted, Object> {

    /** Holds the attempt's {@link AttemptSpec}: whether the client's own status retry stands aside. */
    static final String ATTEMPT = "io.tailguard.attempt";


    private final CloseableHttpClient client;
    private final HttpHost target;
    private final HttpRequest request;
    private final HttpContext context;

    Apache4Exchange(CloseableHttpClient client, HttpHost target, HttpRequest request, HttpContext context) {
        this.client = client;
        this.target = target;
        this.request = request;
        this.context = context;
    }

    /**
     * Whether the client's own status retry must stand aside for a response in this context: only
     * when it is the context of an attempt whose status the engine retries itself. Anywhere else
     * the client retries as it would without the agent.
     */
    static boolean engineRetries(HttpContext context, int status) {
        Object spec = context == null ? null : context.getAttribute(ATTEMPT);
        return spec instanceof AttemptSpec && ((AttemptSpec) spec).engineRetriesStatus(status);
    }

    @Override
    public String method() {
        return AttemptRequests.method(request).toUpperCase(Locale.ROOT);
    }

    @Override
    public boolean replayable() {
        HttpEntity entity = request instanceof HttpEntityEnclosingRequest
                ? ((HttpEntityEnclosingRequest) request).getEntity() : null;
        return entity == null || entity.isRepeatable();
    }

    @Override
    public String requestHeader(String name) {
        Header header = request.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    @Override
    public long clientTimeoutNanos() {
        // 4.5 has connect, socket and lease timeouts per attempt, but none for a whole request.
        return Long.MAX_VALUE;
    }

    @Override
    public Attempt send(AttemptSpec spec, AttemptListener<Attempted> listener, Executor blockingWork) {
        HttpContext attemptContext = new BasicHttpContext(context);
        attemptContext.setAttribute(ATTEMPT, spec);
        HttpRequestBase copy = AttemptRequests.copy(request, spec, configFor(spec.kind()));
        Attempted attempt = new Attempted(copy, attemptContext, listener);
        blockingWork.execute(attempt);
        return attempt;
    }

    private RequestConfig configFor(AttemptKind kind) {
        RequestConfig own = request instanceof Configurable ? ((Configurable) request).getConfig() : null;
        if (kind != AttemptKind.HEDGE) {
            return own;
        }
        RequestConfig base = own;
        if (base == null && context != null && context.getAttribute(HttpClientContext.REQUEST_CONFIG)
                instanceof RequestConfig) {
            base = (RequestConfig) context.getAttribute(HttpClientContext.REQUEST_CONFIG);
        }
        if (base == null && client instanceof Configurable) {
            base = ((Configurable) client).getConfig();
        }
        return RequestConfig.copy(base != null ? base : RequestConfig.DEFAULT)
                .setConnectionRequestTimeout(ClientCalls.HEDGE_LEASE_WAIT_MS).build();
    }

    /**
     * One execute of the application's client (see {@link BlockingAttempt}), the handle that
     * aborts it, and once it has one, its response with the context it ran in: one object per
     * attempt for all three.
     */
    final class Attempted extends BlockingAttempt<CloseableHttpResponse, Attempted> implements Attempt {
        private final HttpRequestBase copy;
        final HttpContext context;
        /** Set before the attempt reports it. */
        CloseableHttpResponse response;

        Attempted(HttpRequestBase copy, HttpContext context, AttemptListener<Attempted> listener) {
            super(listener);
            this.copy = copy;
            this.context = context;
        }

        @Override
        public void cancel() {
            copy.abort();
        }

        @Override
        protected CloseableHttpResponse execute() throws IOException {
            return client.execute(target, copy, context);
        }

        @Override
        protected int status(CloseableHttpResponse response) {
            return response.getStatusLine().getStatusCode();
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
        return attempted.response.getStatusLine().getStatusCode();
    }

    @Override
    public String responseHeader(Attempted attempted, String name) {
        Header header = attempted.response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }


    @Override
    public FailureKind classify(Throwable failure) {
        if (failure instanceof ConnectionPoolTimeoutException) {
            // The pool had no connection in time (a hedge waits for one only briefly): never sent.
            return FailureKind.NOT_SENT;
        }
        if (failure instanceof ClientProtocolException) {
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
        return new RequestAbortedException("Request aborted");
    }

    @Override
    public Throwable interruptedFailure(InterruptedException interrupted) {
        // What 4.5 throws when the thread is interrupted while it waits for a connection.
        return new RequestAbortedException("Request aborted", interrupted);
    }

    /**
     * The winner's response for the application; what the winning attempt's execution left in its
     * own context (route, redirect locations, user token, ...) is copied to the application's, as
     * if the application's call had run alone. (The exchange is itself the function that
     * {@link ClientCalls#run} takes, so that a call makes no method reference for it.)
     */
    @Override
    public Object apply(Attempted winner) {
        AttemptRequests.reportResults(winner.context, context);
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
     * chunked) is the original's.
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
    }
}
