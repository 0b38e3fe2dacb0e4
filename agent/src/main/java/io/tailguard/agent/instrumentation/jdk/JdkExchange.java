package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.engine.HeaderDecision;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;

/**
 * The JDK client's side of an attempt. For {@code sendAsync}, each attempt is an independent
 * {@code sendAsync}, cancelled with {@code cancel(true)}, which aborts the exchange since JDK 16;
 * for {@code send}, each attempt is a {@code send} ({@link BlockingSend}). An attempt sends the
 * application's own request, or a copy of it when tagging headers must be added or what is left of
 * the request's own timeout is shorter than the timeout itself (a retry).
 *
 * <p>The application's {@code BodyHandler} is applied exactly once per logical request: to the
 * attempt that wins, as soon as its status line arrives. A retryable response (a 503, say) is read
 * into memory instead ({@link HeldBody}, within the engine's limits), and if it ends up being the
 * final answer its bytes are replayed into the application's handler then. So a handler that
 * writes a file or streams into a consumer never sees a body the application will not get, and two
 * hedges never write into it at once. A retryable body longer than may be held makes its attempt
 * the answer: the handler then gets the bytes read so far followed by the rest of the stream.
 */
final class JdkExchange implements Exchange<HttpResponse<Object>> {

    /**
     * The JDK's own publishers that can be subscribed again with the same content (checked on
     * JDK 17 and 25). {@code ofInputStream} calls its supplier again for each subscription, so the
     * supplier must return a fresh stream. {@code fromPublisher}, {@code ofByteArrays} (its
     * iterable may be one-shot), {@code concat} and custom publishers are treated as one-shot.
     */
    private static final Set<String> REPLAYABLE_PUBLISHERS = Set.of(
            "jdk.internal.net.http.RequestPublishers$ByteArrayPublisher",
            "jdk.internal.net.http.RequestPublishers$StringPublisher",
            "jdk.internal.net.http.RequestPublishers$FilePublisher",
            "jdk.internal.net.http.RequestPublishers$EmptyPublisher",
            "jdk.internal.net.http.RequestPublishers$InputStreamPublisher");

    /** A retry's timeout is shortened only when that matters: by more than a millisecond. */
    private static final long TIMEOUT_SLACK_NANOS = 1_000_000L;

    private final HttpClient client;
    private final HttpRequest request;
    private final HttpResponse.BodyHandler<Object> handler;

    /** For {@code send} and for {@code sendAsync} alike: the engine's attempts say which ({@link AttemptSpec#callerWaits}). */
    JdkExchange(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<Object> handler) {
        this.client = client;
        this.request = request;
        this.handler = handler;
    }

    @Override
    public String method() {
        return request.method();
    }

    @Override
    public boolean replayable() {
        Optional<HttpRequest.BodyPublisher> body = request.bodyPublisher();
        return body.isEmpty() || REPLAYABLE_PUBLISHERS.contains(body.get().getClass().getName());
    }

    @Override
    public String requestHeader(String name) {
        return first(request.headers(), name);
    }

    @Override
    public long clientTimeoutNanos() {
        return timeoutNanos(request);
    }

    /**
     * The request's timeout, or {@link Long#MAX_VALUE} without one. Here and in {@link #copy}, plain
     * code rather than lambdas and method references: each one's first use spins a class at run
     * time, on the first handled request's path.
     */
    private static long timeoutNanos(HttpRequest request) {
        Optional<Duration> timeout = request.timeout();
        return timeout.isPresent() ? timeout.get().toNanos() : Long.MAX_VALUE;
    }

    @Override
    public Attempt send(AttemptSpec spec, AttemptListener<HttpResponse<Object>> listener, Executor blockingWork) {
        HttpRequest copy = copy(request, spec);
        boolean blocking = spec.callerWaits();
        if (blocking && !spec.mayBeHedged()) {
            BlockingSend attempt = new BlockingSend(this, copy, listener);
            blockingWork.execute(attempt);
            return attempt;
        }
        AsyncSend attempt = new AsyncSend(this, copy, listener, blocking);
        if (blocking) {
            // Started from the application's thread while it waits (a worker when it is busy),
            // which then waits for the outcome instead of inside send: when a hedge wins, it
            // returns while the losing attempt is left to finish.
            blockingWork.execute(attempt);
        } else {
            attempt.run();
        }
        return attempt;
    }

    /** The client the attempts are sent with. */
    HttpClient client() {
        return client;
    }

    /**
     * What reads an attempt's body, chosen when its status line arrives: each attempt is its own
     * {@code BodyHandler} and hands it here.
     */
    HttpResponse.BodySubscriber<Object> bodyFor(HttpResponse.ResponseInfo info,
            AttemptListener<HttpResponse<Object>> listener) {
        int status = info.statusCode();
        // The length takes two lookups in the client's sorted header map: only when it may count.
        long length = Exchange.mayRetry(status) ? contentLength(request.method(), info.headers()) : -1;
        HeaderDecision decision = listener.onHeaders(status, length);
        switch (decision) {
            case DELIVER:
                return handler.apply(info);
            case BUFFER:
                return new HeldBody(info, length, listener, handler);
            default:
                return HttpResponse.BodySubscribers.replacing(null);
        }
    }

    /** The body's announced length, {@code -1} when unknown (chunked, HTTP/2 without it, or until close). */
    static long contentLength(String method, HttpHeaders headers) {
        if ("HEAD".equals(method)) {
            return 0;
        }
        if (first(headers, "Transfer-Encoding") != null) {
            return -1;
        }
        String length = first(headers, "Content-Length");
        try {
            return length == null ? -1 : Long.parseLong(length);
        } catch (NumberFormatException unusual) {
            return -1;
        }
    }

    /** What this attempt sends: the application's request itself when nothing needs to change. */
    static HttpRequest copy(HttpRequest original, AttemptSpec spec) {
        Optional<Duration> ownTimeout = original.timeout();
        long timeout = ownTimeout.isPresent() ? ownTimeout.get().toNanos() : Long.MAX_VALUE;
        boolean shorterTimeout = timeout != Long.MAX_VALUE && spec.clientTimeoutNanos() < timeout - TIMEOUT_SLACK_NANOS;
        if (spec.headerCount() == 0 && !shorterTimeout) {
            return original;
        }
        Optional<Duration> attemptTimeout = shorterTimeout ? Optional.of(Duration.ofNanos(spec.clientTimeoutNanos()))
                : ownTimeout;
        if (AttemptRequest.supports(spec)) {
            return AttemptRequest.OnTheWire.fits(original, spec)
                    ? new AttemptRequest.OnTheWire(original, spec, attemptTimeout)
                    : new AttemptRequest(original, spec, attemptTimeout);
        }
        return built(original, spec.headers(), attemptTimeout);
    }

    /**
     * A copy made by the JDK's own builder, for tags it would reject or merge: then it throws as it
     * did for every tagged request, and the engine falls back to the plain call.
     */
    private static HttpRequest built(HttpRequest original, Map<String, String> tags, Optional<Duration> timeout) {
        HttpRequest.Builder copy = HttpRequest.newBuilder(original.uri())
                .method(original.method(), original.bodyPublisher().orElse(HttpRequest.BodyPublishers.noBody()))
                .expectContinue(original.expectContinue());
        Optional<HttpClient.Version> version = original.version();
        if (version.isPresent()) {
            copy.version(version.get());
        }
        for (Map.Entry<String, List<String>> header : original.headers().map().entrySet()) {
            if (!replaced(tags, header.getKey())) {
                for (String value : header.getValue()) {
                    copy.header(header.getKey(), value);
                }
            }
        }
        for (String tag : tags.keySet()) {
            copy.setHeader(tag, tags.get(tag));
        }
        if (timeout.isPresent()) {
            copy.timeout(timeout.get());
        }
        return copy.build();
    }

    private static boolean replaced(Map<String, String> headers, String name) {
        for (String added : headers.keySet()) {
            if (added.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A header's first value, or {@code null}. {@code HttpHeaders.firstValue} builds a stream for
     * every lookup; its map is already case-insensitive.
     */
    static String first(HttpHeaders headers, String name) {
        List<String> values = headers.map().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public int status(HttpResponse<Object> response) {
        return response.statusCode();
    }

    @Override
    public String responseHeader(HttpResponse<Object> response, String name) {
        return first(response.headers(), name);
    }

    @Override
    public FailureKind classify(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof InterruptedException) {
            // Only the application's interrupt gets here: our own cancels report a cancellation.
            return FailureKind.ABORTED;
        }
        if (t instanceof HttpConnectTimeoutException || t instanceof ConnectException) {
            return FailureKind.CONNECT;
        }
        if (t instanceof HttpTimeoutException) {
            return FailureKind.TIMEOUT;
        }
        if (t instanceof SSLException || t instanceof ProtocolException || answered(t)) {
            return FailureKind.OTHER;
        }
        // Connection reset, EOF before the status line, "header parser received no bytes", a
        // stream reset by an HTTP/2 server: the connection broke before a response arrived.
        return t instanceof IOException ? FailureKind.RESET : FailureKind.OTHER;
    }

    /**
     * Whether the client failed the exchange itself on an answer the server gave: its
     * authentication filter (the credentials refused as often as it tries them, none given, a
     * challenge without its header), its redirect filter (a redirect it cannot follow, more
     * redirects than it follows), a 204 with a body. It reports these as plain {@code IOException}s,
     * as it does a broken connection, so only their messages tell them apart (as JDK 25's sources
     * write them; the authentication limit's seen on JDK 17 and 25 alike, in
     * {@code AuthenticationChallengeTest}). Another attempt would get the same answer.
     */
    static boolean answered(Throwable failure) {
        String message = failure.getMessage();
        if (failure.getClass() != IOException.class || message == null) {
            return false;
        }
        if (message.startsWith("Too many retries")) {
            // Redirects or authentication retries past the client's limit; with a cause, the
            // client was retrying a broken connection.
            return failure.getCause() == null;
        }
        return message.startsWith("too many authentication attempts") || message.equals("No credentials provided")
                || message.equals("No authenticator set") || message.contains(" header missing for response code ")
                || message.equals("Invalid redirection") || message.startsWith("unexpected content length header");
    }

    @Override
    public void discard(HttpResponse<Object> response) {
        Object body = response.body();
        if (body instanceof AutoCloseable) {
            try {
                ((AutoCloseable) body).close();
            } catch (Exception ignored) {
                // Closing a body nobody will read: nothing to report.
            }
        }
    }

    @Override
    public CompletionStage<HttpResponse<Object>> deliver(HttpResponse<Object> response) {
        if (!(response.body() instanceof Buffered)) {
            return null;
        }
        Buffered buffered = (Buffered) response.body();
        HttpResponse.BodySubscriber<Object> subscriber = handler.apply(buffered.info);
        subscriber.onSubscribe(new ReplaySubscription(subscriber, buffered.bytes));
        return subscriber.getBody().thenApply(body -> new DeliveredResponse(response, request, body));
    }

    @Override
    public Throwable timeoutFailure(Duration timeout) {
        return new HttpTimeoutException("request timed out");
    }

    @Override
    public Throwable cancelledFailure() {
        return new CancellationException("request cancelled");
    }

    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A retryable response's body, kept until the engine knows whether it is the final answer. */
    static final class Buffered {
        final HttpResponse.ResponseInfo info;
        final byte[] bytes;

        Buffered(HttpResponse.ResponseInfo info, byte[] bytes) {
            this.info = info;
            this.bytes = bytes;
        }
    }

    /**
     * Holds a retryable response's body, each chunk reserved with the engine first and copied into
     * one compact array (the client's buffers may be slices of larger ones). When a reservation is
     * refused the engine decides: this attempt is committed as the answer, and the application's
     * own subscriber gets what was held, then the rest of the body from the connection, at its own
     * pace ({@link Stitch}); or another attempt already won, and the body is dropped.
     */
    static final class HeldBody implements HttpResponse.BodySubscriber<Object> {
        private final HttpResponse.ResponseInfo info;
        private final AttemptListener<HttpResponse<Object>> listener;
        private final HttpResponse.BodyHandler<Object> handler;
        private final CompletableFuture<Object> body = new CompletableFuture<>();
        private Flow.Subscription upstream;
        private byte[] held;
        private int count;
        /** Set when committed: from then on everything goes to the application's subscriber. */
        private volatile Stitch stitch;
        private volatile boolean dropped;

        HeldBody(HttpResponse.ResponseInfo info, long length, AttemptListener<HttpResponse<Object>> listener,
                HttpResponse.BodyHandler<Object> handler) {
            this.info = info;
            this.listener = listener;
            this.handler = handler;
            // An announced length was found to fit at the headers; an unknown one grows as it comes.
            this.held = new byte[(int) Math.max(0, Math.min(length, 8192))];
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            upstream = subscription;
            subscription.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            Stitch committed = stitch;
            if (committed != null) {
                committed.delegate.onNext(items);
                return;
            }
            if (dropped) {
                return;
            }
            try {
                long size = 0;
                for (ByteBuffer item : items) {
                    size += item.remaining();
                }
                if (listener.reserve(size) && room(size)) {
                    for (ByteBuffer item : items) {
                        int n = item.remaining();
                        item.get(held, count, n);
                        count += n;
                    }
                    upstream.request(1);
                    return;
                }
            } catch (Throwable failure) {
                // Our own failure: this attempt ends with it, and the connection is let go.
                drop();
                body.completeExceptionally(failure);
                return;
            }
            if (listener.commit() != HeaderDecision.DELIVER) {
                drop();
                body.complete(null);
                return;
            }
            try {
                commit(items);
            } catch (Throwable failure) {
                // The application's handler refused the response (or we failed handing it over):
                // the request ends with that, as it would have from the client.
                drop();
                body.completeExceptionally(failure);
            }
        }

        /**
         * Makes room for {@code size} more bytes. {@code false} when the heap has no room for a
         * larger copy (limits set beyond the heap): the body is then committed as if a limit was
         * reached, so the application gets it streamed instead of an error.
         */
        private boolean room(long size) {
            if (count + size <= held.length) {
                return true;
            }
            if (count + size > Integer.MAX_VALUE - 16) {
                return false;
            }
            try {
                held = java.util.Arrays.copyOf(held, (int) Math.min(Integer.MAX_VALUE - 16,
                        Math.max(count + size, Math.max(1024L, held.length * 2L))));
                return true;
            } catch (OutOfMemoryError noRoom) {
                return false;
            }
        }

        private void drop() {
            dropped = true;
            held = null;
            upstream.cancel();
        }

        private void commit(List<ByteBuffer> overflow) {
            HttpResponse.BodySubscriber<Object> delegate = handler.apply(info);
            List<ByteBuffer> prefix = new java.util.ArrayList<>(overflow.size() + 1);
            if (count > 0) {
                prefix.add(ByteBuffer.wrap(held, 0, count));
            }
            prefix.addAll(overflow);
            held = null;
            Stitch committed = new Stitch(delegate, upstream, prefix);
            stitch = committed;
            delegate.getBody().whenComplete((value, failure) -> {
                if (failure != null) {
                    body.completeExceptionally(failure);
                } else {
                    body.complete(value);
                }
            });
            delegate.onSubscribe(committed);
        }

        @Override
        public void onError(Throwable failure) {
            Stitch committed = stitch;
            if (committed != null) {
                committed.upstreamEnded(failure);
                return;
            }
            held = null;
            body.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            Stitch committed = stitch;
            if (committed != null) {
                committed.upstreamEnded(null);
                return;
            }
            if (dropped) {
                return;
            }
            byte[] bytes = held.length == count ? held : java.util.Arrays.copyOf(held, count);
            held = null;
            body.complete(new Buffered(info, bytes));
        }

        @Override
        public CompletionStage<Object> getBody() {
            return body;
        }
    }

    /**
     * The subscription the application's subscriber gets for a committed body: the bytes held
     * first, as one item, then the connection's own items as the subscriber asks for them. The
     * end of the body is signalled after the held bytes, whenever it arrives.
     */
    static final class Stitch implements Flow.Subscription {
        final HttpResponse.BodySubscriber<Object> delegate;
        private final Flow.Subscription upstream;
        // Guarded by this.
        private List<ByteBuffer> prefix;
        private boolean deliveringPrefix;
        private boolean upstreamEnded;
        private Throwable upstreamFailure;
        private boolean endSignalled;
        private boolean cancelled;

        Stitch(HttpResponse.BodySubscriber<Object> delegate, Flow.Subscription upstream, List<ByteBuffer> prefix) {
            this.delegate = delegate;
            this.upstream = upstream;
            this.prefix = prefix.isEmpty() ? null : prefix;
        }

        @Override
        public void request(long n) {
            List<ByteBuffer> first;
            synchronized (this) {
                if (cancelled) {
                    return;
                }
                first = n > 0 ? prefix : null;
                if (first != null) {
                    prefix = null;
                    deliveringPrefix = true;
                }
            }
            long more = n;
            if (first != null) {
                delegate.onNext(first);
                more = n - 1;
            }
            boolean end;
            synchronized (this) {
                deliveringPrefix = false;
                end = upstreamEnded && !endSignalled && prefix == null;
                if (end) {
                    endSignalled = true;
                }
            }
            if (end) {
                signalEnd();
            } else if (more != 0 || first == null) {
                upstream.request(more);
            }
        }

        void upstreamEnded(Throwable failure) {
            boolean now;
            synchronized (this) {
                upstreamEnded = true;
                upstreamFailure = failure;
                now = prefix == null && !deliveringPrefix && !endSignalled && !cancelled;
                if (now) {
                    endSignalled = true;
                }
            }
            if (now) {
                signalEnd();
            }
        }

        private void signalEnd() {
            Throwable failure;
            synchronized (this) {
                failure = upstreamFailure;
            }
            if (failure != null) {
                delegate.onError(failure);
            } else {
                delegate.onComplete();
            }
        }

        @Override
        public void cancel() {
            synchronized (this) {
                cancelled = true;
                prefix = null;
            }
            upstream.cancel();
        }
    }

    /** Feeds buffered bytes to the application's subscriber, honouring its demand. */
    private static final class ReplaySubscription implements Flow.Subscription {
        private final HttpResponse.BodySubscriber<Object> subscriber;
        private final byte[] bytes;
        private final AtomicBoolean done = new AtomicBoolean();

        ReplaySubscription(HttpResponse.BodySubscriber<Object> subscriber, byte[] bytes) {
            this.subscriber = subscriber;
            this.bytes = bytes;
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                if (done.compareAndSet(false, true)) {
                    subscriber.onError(new IllegalArgumentException("non-positive request " + n));
                }
                return;
            }
            if (done.compareAndSet(false, true)) {
                if (bytes.length > 0) {
                    subscriber.onNext(List.of(ByteBuffer.wrap(bytes)));
                }
                subscriber.onComplete();
            }
        }

        @Override
        public void cancel() {
            done.set(true);
        }
    }

    /** The final response of a request whose body was buffered: the attempt's response, the application's body. */
    private static final class DeliveredResponse implements HttpResponse<Object> {
        private final HttpResponse<Object> attempt;
        private final HttpRequest request;
        private final Object body;

        DeliveredResponse(HttpResponse<Object> attempt, HttpRequest request, Object body) {
            this.attempt = attempt;
            this.request = request;
            this.body = body;
        }

        @Override
        public int statusCode() {
            return attempt.statusCode();
        }

        @Override
        public HttpRequest request() {
            return attempt.request();
        }

        @Override
        public Optional<HttpResponse<Object>> previousResponse() {
            return attempt.previousResponse();
        }

        @Override
        public HttpHeaders headers() {
            return attempt.headers();
        }

        @Override
        public Object body() {
            return body;
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return attempt.sslSession();
        }

        @Override
        public URI uri() {
            return attempt.uri();
        }

        @Override
        public HttpClient.Version version() {
            return attempt.version();
        }

        @Override
        public String toString() {
            return "(" + request.method() + " " + uri() + ") " + statusCode();
        }
    }
}
