package io.tailguard.agent.instrumentation.apache5.adapter;

import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.instrumentation.AsyncAttempt;
import io.tailguard.agent.instrumentation.AttemptFailures;
import io.tailguard.bootstrap.Dispatcher;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.apache.hc.client5.http.async.methods.SimpleBody;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.config.Configurable;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.concurrent.BasicFuture;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.RequestChannel;
import org.apache.hc.core5.http.nio.entity.BasicAsyncEntityProducer;
import org.apache.hc.core5.http.nio.entity.StringAsyncEntityProducer;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Apache HttpClient 5 async's side of an attempt: one {@code execute} of the application's client
 * with a producer and a consumer of the attempt's own, in a context of its own.
 *
 * <p>Request: a {@code SimpleHttpRequest} is copied per attempt into a plain request with a
 * producer of its own, so attempts can run at the same time (retries and hedges). Any
 * other {@code BasicRequestProducer} is used again for each attempt, one after the other, as the
 * client's own retry does: retried when {@code isRepeatable()}, hedged only when it has no body
 * (two attempts cannot produce one entity at once). Tagging headers go on a copy of the request
 * as the producer hands it over.
 *
 * <p>Response: the application's consumer sees exactly one response, the one that wins, as soon
 * as its head arrives (see {@link AttemptConsumer}); a response that may still be retried is
 * buffered and replayed into the application's consumer if it turns out to be the final answer.
 * So the consumer itself never has to be replayable.
 */
final class AsyncExchange implements Exchange<AsyncExchange.Attempted>, BiConsumer<AsyncExchange.Attempted, Throwable>,
        Cancellable {

    private final CloseableHttpAsyncClient client;
    private final HttpHost target;
    private final AsyncRequestProducer producer;
    private final HttpRequest request;
    private final EntityDetails entity;
    private final AsyncResponseConsumer<Object> consumer;
    private final HttpContext context;
    private volatile HttpClientContext primaryContext;
    private volatile boolean consumerUsed;
    /** Set before the request starts. */
    private Execution<Attempted> execution;
    private BasicFuture<Object> future;

    AsyncExchange(CloseableHttpAsyncClient client, HttpHost target, AsyncRequestProducer producer,
            Captured captured, AsyncResponseConsumer<Object> consumer, HttpContext context) {
        this.client = client;
        this.target = target;
        this.producer = producer;
        this.request = captured.request;
        this.entity = captured.entity;
        this.consumer = consumer;
        this.context = context;
    }

    @Override
    public String method() {
        return request.getMethod().toUpperCase(Locale.ROOT);
    }

    @Override
    public boolean replayable() {
        return producer.isRepeatable();
    }

    @Override
    public boolean hedgeable() {
        return replayable() && (entity == null || request instanceof SimpleHttpRequest);
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
        RequestConfig config = configFor(spec.kind());
        if (config != null) {
            attemptContext.setRequestConfig(config);
        }
        if (spec.kind() == AttemptKind.PRIMARY) {
            primaryContext = attemptContext;
        }
        AsyncRequestProducer attemptProducer = producerFor(spec);
        AttemptConsumer attemptConsumer = new AttemptConsumer(listener, this, attemptContext);
        AttemptCallback callback = new AttemptCallback(listener, attemptContext);
        Dispatcher.skipNextInterception();
        try {
            callback.sent(client.execute(target, attemptProducer, attemptConsumer, null, attemptContext, callback));
        } finally {
            Dispatcher.clearSkip();
        }
        return callback;
    }

    /**
     * The request's execution and the application's future, which gets its outcome: the exchange
     * itself is what cancelling that future cancels, and what the engine's result calls back when
     * the request ends, so that a call makes no lambda for either.
     */
    void runs(Execution<Attempted> execution, BasicFuture<Object> future) {
        this.execution = execution;
        this.future = future;
    }

    /** The application cancelled its future. */
    @Override
    public boolean cancel() {
        execution.cancel();
        return true;
    }

    @Override
    public void accept(Attempted winner, Throwable failure) {
        complete(future, winner, failure);
    }

    /**
     * One attempt: see {@link AsyncAttempt}. Cancelling it also aborts its exchange, where its
     * request went out over HTTP/1.1 ({@link AttemptContexts#abortExchange}): HttpClient 5 (5.6.5
     * and earlier) does not when the attempt got a pooled connection at once, for the future's
     * cancel handle is then the completed lease, and the loser would run to its end holding its
     * connection.
     */
    private static final class AttemptCallback extends AsyncAttempt<Attempted> implements FutureCallback<Attempted> {
        private final HttpClientContext context;

        AttemptCallback(AttemptListener<Attempted> listener, HttpClientContext context) {
            super(listener);
            this.context = context;
        }

        @Override
        public void cancel() {
            super.cancel();
            AttemptContexts.abortExchange(context);
        }

        @Override
        protected boolean requestStarted() {
            return AttemptContexts.requestStarted(context);
        }
    }

    /**
     * The attempt's config, which goes into its context: the request's own (a tagged copy of a
     * plain request carries none), and for a hedge one that takes only a connection the pool can
     * give at once (see the classic adapter). A hedge's config starts from the primary's, which
     * holds the client's defaults once the client has set the primary up: the async client does
     * not expose them otherwise.
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
                .setConnectionRequestTimeout(ClassicExchange.HEDGE_LEASE_WAIT).build();
    }

    /**
     * A {@code SimpleHttpRequest}'s attempt is a plain copy of it with the tags, and a producer of
     * its body of its own, as {@code SimpleRequestProducer.create} makes one.
     */
    private AsyncRequestProducer producerFor(AttemptSpec spec) {
        if (!(request instanceof SimpleHttpRequest)) {
            return new TaggedProducer(producer, spec);
        }
        SimpleBody body = ((SimpleHttpRequest) request).getBody();
        AsyncEntityProducer entity = body == null ? null
                : body.isText() ? new StringAsyncEntityProducer(body.getBodyText(), body.getContentType())
                : new BasicAsyncEntityProducer(body.getBodyBytes(), body.getContentType());
        return new BasicRequestProducer(withTags(request, spec), entity);
    }

    /**
     * A plain copy of {@code original} (its parts, version and headers) with the attempt's tags;
     * its config, if any, is in the attempt's context. (A {@code SimpleHttpRequest} copied through
     * {@code SimpleRequestBuilder} made some 220 B more per attempt: the builder, its header list
     * and an array per copy.)
     */
    private static HttpRequest withTags(HttpRequest original, AttemptSpec spec) {
        BasicHttpRequest copy = new BasicHttpRequest(original.getMethod(), original.getScheme(),
                original.getAuthority(), original.getPath());
        copy.setVersion(original.getVersion());
        for (Iterator<Header> headers = original.headerIterator(); headers.hasNext();) {
            copy.addHeader(headers.next());
        }
        for (int i = 0, n = spec.headerCount(); i < n; i++) {
            copy.setHeader(spec.headerName(i), spec.headerValue(i));
        }
        return copy;
    }

    @Override
    public int status(Attempted attempted) {
        return attempted.head.getCode();
    }

    @Override
    public String responseHeader(Attempted attempted, String name) {
        Header header = attempted.head.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    @Override
    public FailureKind classify(Throwable failure) {
        return ClassicExchange.classifyFailure(failure);
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
        CompletableFuture<Attempted> done = new CompletableFuture<>();
        consumerUsed = true;
        try {
            consumer.consumeResponse(attempted.head, attempted.details, attempted.context,
                    new FutureCallback<Object>() {
                        @Override
                        public void completed(Object value) {
                            done.complete(attempted.deliveredAs(value));
                        }

                        @Override
                        public void failed(Exception failure) {
                            done.completeExceptionally(failure);
                        }

                        @Override
                        public void cancelled() {
                            done.completeExceptionally(new CancellationException());
                        }
                    });
            if (attempted.details != null) {
                consumer.updateCapacity(increment -> { });
                if (attempted.body.length > 0) {
                    consumer.consume(ByteBuffer.wrap(attempted.body));
                }
                consumer.streamEnd(null);
            }
        } catch (Exception failure) {
            consumer.failed(failure);
            done.completeExceptionally(failure);
        }
        return done.whenComplete((value, failure) -> consumer.releaseResources());
    }

    @Override
    public Throwable timeoutFailure(Duration timeout) {
        return AttemptFailures.attemptTimeout(timeout);
    }

    @Override
    public Throwable cancelledFailure() {
        return new CancellationException("Request execution cancelled");
    }

    AsyncResponseConsumer<Object> consumer() {
        return consumer;
    }

    void consumerUsed() {
        consumerUsed = true;
    }

    /**
     * The request is over: the application's future gets its outcome, and a consumer that never
     * saw a response hears of the failure, as it would from the client.
     */
    void complete(BasicFuture<Object> future, Attempted winner, Throwable failure) {
        if (failure == null) {
            AttemptContexts.reportBack(winner.context, context);
            future.completed(winner.value);
            return;
        }
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        Exception exception = cause instanceof Exception ? (Exception) cause : new RuntimeException(cause);
        if (!consumerUsed) {
            consumer.failed(exception);
            consumer.releaseResources();
        }
        // A future the application cancelled stays cancelled; failing it then does nothing.
        future.failed(exception);
    }

    /** The request and its entity as the application's producer hands them over. */
    static final class Captured implements RequestChannel {
        HttpRequest request;
        EntityDetails entity;

        @Override
        public void sendRequest(HttpRequest request, EntityDetails entity, HttpContext context) {
            this.request = request;
            this.entity = entity;
        }
    }

    /** The application's producer, with the attempt's tagging headers on a copy of its request. */
    private static final class TaggedProducer implements AsyncRequestProducer {
        private final AsyncRequestProducer delegate;
        private final AttemptSpec spec;

        TaggedProducer(AsyncRequestProducer delegate, AttemptSpec spec) {
            this.delegate = delegate;
            this.spec = spec;
        }

        @Override
        public void sendRequest(RequestChannel channel, HttpContext context)
                throws org.apache.hc.core5.http.HttpException, java.io.IOException {
            delegate.sendRequest((request, entity, c) -> channel.sendRequest(tagged(request), entity, c), context);
        }

        private HttpRequest tagged(HttpRequest request) {
            return spec.headerCount() == 0 ? request : withTags(request, spec);
        }

        @Override
        public boolean isRepeatable() {
            return delegate.isRepeatable();
        }

        @Override
        public void failed(Exception cause) {
            delegate.failed(cause);
        }

        @Override
        public int available() {
            return delegate.available();
        }

        @Override
        public void produce(DataStreamChannel channel) throws java.io.IOException {
            delegate.produce(channel);
        }

        @Override
        public void releaseResources() {
            delegate.releaseResources();
        }
    }

    /** An attempt's response: delivered to the application's consumer, or buffered. */
    static final class Attempted {
        final HttpResponse head;
        final EntityDetails details;
        final HttpClientContext context;
        final boolean delivered;
        final Object value;
        final byte[] body;

        Attempted(HttpResponse head, EntityDetails details, HttpClientContext context, boolean delivered,
                Object value, byte[] body) {
            this.head = head;
            this.details = details;
            this.context = context;
            this.delivered = delivered;
            this.value = value;
            this.body = body;
        }

        Attempted deliveredAs(Object result) {
            return new Attempted(head, details, context, true, result, null);
        }
    }
}
