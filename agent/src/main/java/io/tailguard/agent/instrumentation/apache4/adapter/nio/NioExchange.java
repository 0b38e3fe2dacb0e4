package io.tailguard.agent.instrumentation.apache4.adapter.nio;

import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.instrumentation.AsyncAttempt;
import io.tailguard.agent.instrumentation.AttemptFailures;
import io.tailguard.agent.instrumentation.ClientCalls;
import io.tailguard.agent.instrumentation.apache4.adapter.AttemptRequests;
import io.tailguard.bootstrap.Dispatcher;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.HttpEntityEnclosingRequest;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.client.ClientProtocolException;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.Configurable;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.concurrent.BasicFuture;
import org.apache.http.concurrent.FutureCallback;
import org.apache.http.conn.ConnectTimeoutException;
import org.apache.http.impl.nio.client.CloseableHttpAsyncClient;
import org.apache.http.nio.entity.HttpAsyncContentProducer;
import org.apache.http.nio.protocol.BasicAsyncRequestProducer;
import org.apache.http.nio.protocol.HttpAsyncRequestProducer;
import org.apache.http.nio.protocol.HttpAsyncResponseConsumer;
import org.apache.http.protocol.BasicHttpContext;
import org.apache.http.protocol.HttpContext;
import org.apache.http.protocol.HttpCoreContext;

/**
 * Apache HttpAsyncClient 4.1's side of an attempt: one {@code execute} of the application's client
 * with a producer and a consumer of the attempt's own, in a context of its own that reads through
 * to the application's (cookie store, credentials, auth cache).
 *
 * <p>Request: only a {@code BasicAsyncRequestProducer} (what {@code HttpAsyncMethods.create},
 * {@code createGet}, {@code createPost(..., String|byte[], ...)} and every plain-request
 * {@code execute} overload make, and what Elasticsearch's {@code RestClient} uses) is handled: it
 * hands over its request without side effects, and a new one can be made per attempt from a copy
 * of the request that keeps the entity object. A repeatable entity is retried; it is hedged only
 * when it is not itself an {@code HttpAsyncContentProducer} ({@code NStringEntity},
 * {@code NByteArrayEntity}): such an entity keeps its read position and is rewound when the
 * client closes the producer, so two attempts cannot send it at once. Other producers
 * ({@code ZeroCopyPost}, the application's own) pass through untouched.
 *
 * <p>Response: the application's consumer sees exactly one response, the one that wins, as soon
 * as its head arrives (see {@link NioAttemptConsumer}); a response that may still be retried is
 * buffered and replayed into the application's consumer if it turns out to be the final answer.
 * So the consumer itself never has to be replayable.
 */
final class NioExchange implements Exchange<NioExchange.Attempted>, BiConsumer<NioExchange.Attempted, Throwable> {


    /** {@code HttpAsyncMethods.RequestProducerImpl}: package-private, adds nothing to its parent. */
    private static final String METHODS_PRODUCER = "org.apache.http.nio.client.methods.HttpAsyncMethods$RequestProducerImpl";

    private final CloseableHttpAsyncClient client;
    private final HttpAsyncRequestProducer producer;
    private final HttpHost target;
    private final HttpRequest request;
    private final HttpEntity entity;
    private final HttpAsyncResponseConsumer<Object> consumer;
    private final HttpContext context;
    private volatile HttpClientContext primaryContext;
    private volatile boolean consumerUsed;
    /** Set before the request starts. */
    private BasicFuture<Object> future;

    NioExchange(CloseableHttpAsyncClient client, HttpAsyncRequestProducer producer, HttpHost target,
            HttpRequest request, HttpAsyncResponseConsumer<Object> consumer, HttpContext context) {
        this.client = client;
        this.producer = producer;
        this.target = target;
        this.request = request;
        this.entity = request instanceof HttpEntityEnclosingRequest
                ? ((HttpEntityEnclosingRequest) request).getEntity() : null;
        this.consumer = consumer;
        this.context = context;
    }

    /**
     * Whether the producer is one whose request can be read and sent again from a copy: exactly
     * the client's own basic producer, not a subclass that may produce something else.
     */
    static boolean readable(HttpAsyncRequestProducer producer) {
        return producer != null && (producer.getClass() == BasicAsyncRequestProducer.class
                || producer.getClass().getName().equals(METHODS_PRODUCER));
    }

    @Override
    public String method() {
        return AttemptRequests.method(request).toUpperCase(Locale.ROOT);
    }

    @Override
    public boolean replayable() {
        return entity == null || entity.isRepeatable();
    }

    @Override
    public boolean hedgeable() {
        return entity == null || entity.isRepeatable() && !(entity instanceof HttpAsyncContentProducer);
    }

    @Override
    public String requestHeader(String name) {
        Header header = request.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    @Override
    public long clientTimeoutNanos() {
        // 4.1 has connect, socket and lease timeouts per exchange, but none for a whole request.
        return Long.MAX_VALUE;
    }

    @Override
    public Attempt send(AttemptSpec spec, AttemptListener<Attempted> listener, Executor blockingWork) {
        AttemptContext attemptContext = new AttemptContext(context);
        AttemptCallback callback = new AttemptCallback(listener, attemptContext);
        HttpAsyncRequestProducer attemptProducer = new BasicAsyncRequestProducer(target,
                AttemptRequests.copy(request, spec, configFor(spec.kind())));
        NioAttemptConsumer attemptConsumer = new NioAttemptConsumer(listener, this, attemptContext);
        Dispatcher.skipNextInterception();
        try {
            callback.sent(client.execute(attemptProducer, attemptConsumer, attemptContext, callback));
        } finally {
            Dispatcher.clearSkip();
        }
        if (spec.kind() == AttemptKind.PRIMARY) {
            // The client put its default request config into the context as execute began.
            primaryContext = attemptContext;
        }
        return callback;
    }

    /** One attempt: see {@link AsyncAttempt}. */
    private static final class AttemptCallback extends AsyncAttempt<Attempted> implements FutureCallback<Attempted> {
        private final AttemptContext context;

        AttemptCallback(AttemptListener<Attempted> listener, AttemptContext context) {
            super(listener);
            this.context = context;
        }

        @Override
        protected boolean requestStarted() {
            return context.connected;
        }
    }

    /**
     * An attempt's context, which reads the application's through. The client sets the connection
     * in it ({@code http.connection}) only when it generates the request on that connection
     * (4.1's {@code MainClientExec.generateRequest} and {@code MinimalClientExchangeHandlerImpl.generateRequest},
     * checked with javap on 4.1.5): until then the attempt's request has not started. (Its
     * producer cannot tell: the client asks it for its request before it asks the pool for a connection.)
     */
    private static final class AttemptContext extends HttpClientContext {
        private volatile boolean connected;

        AttemptContext(HttpContext application) {
            super(new BasicHttpContext(application));
        }

        @Override
        public void setAttribute(String id, Object value) {
            if (HttpCoreContext.HTTP_CONNECTION.equals(id)) {
                connected = true;
            }
            super.setAttribute(id, value);
        }
    }

    /**
     * The attempt's config, set on its copy of the request: the request's own, and for a hedge one
     * that takes only a connection the pool can give at once (see {@link ClientCalls#HEDGE_LEASE_WAIT_MS}).
     * A hedge's config starts from the client's defaults, which the primary's context holds once
     * the client has set it up: the client does not expose them otherwise.
     */
    private RequestConfig configFor(AttemptKind kind) {
        RequestConfig own = request instanceof Configurable ? ((Configurable) request).getConfig() : null;
        if (kind != AttemptKind.HEDGE) {
            return own;
        }
        RequestConfig base = own;
        HttpClientContext primary = primaryContext;
        if (base == null && primary != null) {
            base = primary.getRequestConfig();
        }
        return RequestConfig.copy(base != null ? base : RequestConfig.DEFAULT)
                .setConnectionRequestTimeout(ClientCalls.HEDGE_LEASE_WAIT_MS).build();
    }

    @Override
    public int status(Attempted attempted) {
        return attempted.head.getStatusLine().getStatusCode();
    }

    @Override
    public String responseHeader(Attempted attempted, String name) {
        Header header = attempted.head.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    @Override
    public FailureKind classify(Throwable failure) {
        if (failure instanceof ClientProtocolException) {
            return FailureKind.OTHER;
        }
        if (failure instanceof ConnectTimeoutException) {
            return FailureKind.CONNECT;
        }
        if (failure instanceof TimeoutException) {
            // The pool's lease ran out (a hedge waits for a connection only briefly): never sent.
            return FailureKind.NOT_SENT;
        }
        return AttemptFailures.classify(failure);
    }

    @Override
    public void discard(Attempted attempted) {
        // The client already read or dropped the body and released the connection.
    }

    @Override
    public CompletionStage<Attempted> deliver(Attempted attempted) {
        if (attempted.delivered) {
            return null;
        }
        consumerUsed = true;
        try {
            consumer.responseReceived(attempted.head);
            if (attempted.head.getEntity() != null) {
                BufferedContent.replay(attempted.body, consumer);
            }
            consumer.responseCompleted(attempted.context);
            return CompletableFuture.completedFuture(attempted.deliveredAs(consumer.getResult(),
                    consumer.getException()));
        } catch (Exception failure) {
            consumer.failed(failure);
            return CompletableFuture.failedFuture(failure);
        } finally {
            closeQuietly(consumer);
        }
    }

    @Override
    public Throwable timeoutFailure(Duration timeout) {
        return AttemptFailures.attemptTimeout(timeout);
    }

    @Override
    public Throwable cancelledFailure() {
        return new CancellationException("Request execution cancelled");
    }

    /**
     * The application's future, which gets the request's outcome: the exchange itself is what the
     * engine's result calls back when the request ends, so that a call makes no lambda for that.
     */
    void completes(BasicFuture<Object> applicationFuture) {
        this.future = applicationFuture;
    }

    @Override
    public void accept(Attempted winner, Throwable failure) {
        complete(future, winner, failure);
    }

    HttpAsyncResponseConsumer<Object> consumer() {
        return consumer;
    }

    void consumerUsed() {
        consumerUsed = true;
    }

    /**
     * The request is over: the application's future gets its outcome, the context what the
     * winning attempt left in its own, and the application's producer and a consumer that never
     * saw a response are closed (hearing of the failure first), as the client would do. The
     * producer is closed after the future is completed, in the client's own order: closing it is
     * nothing the application waits for.
     */
    void complete(BasicFuture<Object> future, Attempted winner, Throwable failure) {
        if (failure == null) {
            AttemptRequests.reportResults(winner.context, context);
            try {
                if (winner.failure != null) {
                    future.failed(winner.failure);
                } else {
                    future.completed(winner.value);
                }
            } finally {
                closeQuietly(producer);
            }
            return;
        }
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        Exception exception = cause instanceof Exception ? (Exception) cause : new RuntimeException(cause);
        if (!consumerUsed) {
            // What the client tells a consumer whose exchange was cancelled, or that failed.
            if (future.isCancelled()) {
                consumer.cancel();
            } else {
                consumer.failed(exception);
            }
            closeQuietly(consumer);
        }
        // A future the application cancelled stays cancelled; failing it then does nothing.
        try {
            future.failed(exception);
        } finally {
            closeQuietly(producer);
        }
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException | RuntimeException ignored) {
            // Releasing what the request no longer needs; nothing depends on it succeeding.
        }
    }

    /** An attempt's response: delivered to the application's consumer, or buffered. */
    static final class Attempted {
        final HttpResponse head;
        final HttpContext context;
        final boolean delivered;
        final Object value;
        final Exception failure;
        final byte[] body;

        Attempted(HttpResponse head, HttpContext context, boolean delivered, Object value, Exception failure,
                byte[] body) {
            this.head = head;
            this.context = context;
            this.delivered = delivered;
            this.value = value;
            this.failure = failure;
            this.body = body;
        }

        Attempted deliveredAs(Object result, Exception consumerFailure) {
            return new Attempted(head, context, true, result, consumerFailure, null);
        }
    }
}
