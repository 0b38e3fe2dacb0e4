package io.tailguard.agent.instrumentation.apache4.adapter;

import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.engine.HeaderDecision;
import io.tailguard.agent.instrumentation.AttemptFailures;
import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executor;
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
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.execchain.RequestAbortedException;
import org.apache.http.protocol.BasicHttpContext;
import org.apache.http.protocol.HttpContext;
import org.apache.http.protocol.HttpCoreContext;
import org.apache.http.util.EntityUtils;

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
 * for a connection of a one- or two-connection route would deadlock.
 */
final class Apache4Exchange implements Exchange<Apache4Exchange.Attempted> {

    /** Marks an attempt's context: the client's own status retry stands aside for it. */
    static final String ATTEMPT = "io.tailguard.attempt";

    /**
     * How long a hedge waits for a pooled connection, in ms (0 would mean forever in 4.5). A hedge
     * exists to beat a slow primary; one that has to queue for a connection, often the one its own
     * primary holds, cannot, and would take a connection from the next primary in line. So a hedge
     * goes out only if the pool gives it a connection at once (a free one, or room for a new one).
     */
    static final int HEDGE_LEASE_WAIT_MS = 1;

    /** What the client leaves in a context, copied from the winning attempt's to the application's. */
    private static final String[] RESULTS = {
        HttpClientContext.HTTP_ROUTE, HttpClientContext.REDIRECT_LOCATIONS, HttpClientContext.COOKIE_SPEC,
        HttpClientContext.COOKIE_ORIGIN, HttpClientContext.USER_TOKEN, HttpClientContext.TARGET_AUTH_STATE,
        HttpClientContext.PROXY_AUTH_STATE, HttpClientContext.AUTH_CACHE, HttpCoreContext.HTTP_CONNECTION,
        HttpCoreContext.HTTP_REQUEST, HttpCoreContext.HTTP_RESPONSE, HttpCoreContext.HTTP_REQ_SENT,
        HttpCoreContext.HTTP_TARGET_HOST};

    private final CloseableHttpClient client;
    private final HttpHost target;
    private final HttpRequest request;
    private final HttpContext context;
    private final boolean markAttempts;

    /**
     * @param markAttempts whether the client's status retry should stand aside for the attempts
     *     (not in shadow mode, where Tailguard only counts and the client behaves as without it)
     */
    Apache4Exchange(CloseableHttpClient client, HttpHost target, HttpRequest request, HttpContext context,
            boolean markAttempts) {
        this.client = client;
        this.target = target;
        this.request = request;
        this.context = context;
        this.markAttempts = markAttempts;
    }

    static boolean isAttempt(HttpContext context) {
        return context != null && context.getAttribute(ATTEMPT) != null;
    }

    @Override
    public String method() {
        return request.getRequestLine().getMethod().toUpperCase(Locale.ROOT);
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
        if (markAttempts) {
            attemptContext.setAttribute(ATTEMPT, Boolean.TRUE);
        }
        HttpRequestBase copy = AttemptRequests.copy(request, spec.headers(), configFor(spec.kind()));
        blockingWork.execute(() -> run(copy, attemptContext, listener));
        return copy::abort;
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
                .setConnectionRequestTimeout(HEDGE_LEASE_WAIT_MS).build();
    }

    private void run(HttpRequestBase copy, HttpContext attemptContext, AttemptListener<Attempted> listener) {
        CloseableHttpResponse response;
        Dispatcher.skipNextInterception();
        try {
            response = client.execute(target, copy, attemptContext);
        } catch (Throwable failure) {
            listener.onFailure(failure);
            return;
        } finally {
            Dispatcher.clearSkip();
        }
        Header retryAfter = response.getFirstHeader("Retry-After");
        HeaderDecision decision = listener.onHeaders(response.getStatusLine().getStatusCode(),
                retryAfter == null ? null : retryAfter.getValue());
        if (decision == HeaderDecision.BUFFER) {
            try {
                buffer(response);
            } catch (IOException | RuntimeException failure) {
                closeQuietly(response);
                listener.onFailure(failure);
                return;
            }
        } else if (decision == HeaderDecision.DISCARD) {
            closeQuietly(response);
        }
        listener.onResponse(new Attempted(response, attemptContext));
    }

    /** Reads the body into memory; reaching its end returns the connection to the pool. */
    private static void buffer(CloseableHttpResponse response) throws IOException {
        HttpEntity entity = response.getEntity();
        if (entity == null) {
            return;
        }
        ByteArrayEntity copy = new ByteArrayEntity(EntityUtils.toByteArray(entity));
        copy.setContentType(entity.getContentType());
        copy.setContentEncoding(entity.getContentEncoding());
        copy.setChunked(entity.isChunked());
        response.setEntity(copy);
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
        if (failure instanceof ConnectionPoolTimeoutException || failure instanceof ClientProtocolException) {
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
        return new SocketTimeoutException("Read timed out: no response within the attempt timeout of "
                + timeout.toMillis() + " ms");
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
     * Leaves in the application's context what the winning attempt's execution left in its own
     * (route, redirect locations, user token, ...), as if the application's call had run alone.
     */
    void reportToApplicationContext(Attempted winner) {
        if (context == null) {
            return;
        }
        try {
            for (String name : RESULTS) {
                Object value = winner.context.getAttribute(name);
                if (value != null) {
                    context.setAttribute(name, value);
                }
            }
        } catch (RuntimeException unusualContext) {
            // A context of the application's own making refused a value: the response matters
            // more than these details, so it is returned all the same.
        }
    }

    private static void closeQuietly(CloseableHttpResponse response) {
        try {
            response.close();
        } catch (IOException | RuntimeException ignored) {
            // Closing a response nobody will read: its connection is discarded either way.
        }
    }

    /** An attempt's response and the context it ran in. */
    static final class Attempted {
        final CloseableHttpResponse response;
        final HttpContext context;

        Attempted(CloseableHttpResponse response, HttpContext context) {
            this.response = response;
            this.context = context;
        }
    }
}
