package io.tailguard.bootstrap;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The facade every instrumented client method calls first. It lives on the bootstrap class path so
 * that classes in any class loader (the platform loader's {@code java.net.http}, a web
 * application's OkHttp) can link against it. Until the agent installs interceptors it answers
 * {@link #PROCEED} for everything, so an instrumented method behaves exactly as written.
 */
public final class Dispatcher {

    /** Returned by {@link #enter} when the instrumented method should run its own body. */
    public static final Object PROCEED = new Object() {
        @Override
        public String toString() {
            return "PROCEED";
        }
    };

    /** Hook slots: each instrumented method's prologue passes one of these to {@link #enter}. */
    public static final int JDK_SEND = 0;
    public static final int JDK_SEND_ASYNC = 1;
    public static final int OKHTTP_EXECUTE = 2;
    public static final int OKHTTP_ENQUEUE = 3;
    public static final int OKHTTP_CANCEL = 4;
    public static final int APACHE4_EXECUTE = 5;
    public static final int APACHE5_EXECUTE = 6;
    public static final int APACHE5_ASYNC_EXECUTE = 7;
    /** Apache 4.5 {@code DefaultServiceUnavailableRetryStrategy.retryRequest(HttpResponse, int, HttpContext)}. */
    public static final int APACHE4_STATUS_RETRY = 8;
    /** Apache 5 {@code DefaultHttpRequestRetryStrategy.retryRequest(HttpResponse, int, HttpContext)}. */
    public static final int APACHE5_STATUS_RETRY = 9;
    /** Apache HttpAsyncClient 4.1 {@code execute(HttpAsyncRequestProducer, HttpAsyncResponseConsumer, HttpContext, FutureCallback)}. */
    public static final int APACHE4_ASYNC_EXECUTE = 10;
    /** Apache 4.5 {@code HttpClientBuilder.setServiceUnavailableRetryStrategy(ServiceUnavailableRetryStrategy)}. */
    public static final int APACHE4_SET_STATUS_RETRY = 11;
    /** Apache 5 {@code HttpClientBuilder} and {@code HttpAsyncClientBuilder} {@code setRetryStrategy(HttpRequestRetryStrategy)}. */
    public static final int APACHE5_SET_RETRY_STRATEGY = 12;
    /** {@code sun.net.www.protocol.http.HttpURLConnection.getInputStream0()}: where the exchange happens. */
    public static final int URLCONNECTION_EXCHANGE = 13;
    /** {@code javax.servlet} and {@code jakarta.servlet} {@code HttpServlet.service(ServletRequest, ServletResponse)}: the server side. */
    public static final int SERVLET_SERVICE = 14;
    /** {@code com.sun.net.httpserver}: where the JDK's server hands an exchange to the application's handler. */
    public static final int HTTPSERVER_HANDLE = 15;
    /** {@code sun.net.www.protocol.http.HttpURLConnection.getOutputStream0()}: where a request body starts. */
    public static final int URLCONNECTION_BODY = 16;
    /** {@code sun.net.httpserver.ServerImpl$Dispatcher.handle}: the JDK's server queues a request to its executor. */
    public static final int HTTPSERVER_QUEUED = 17;
    /** {@code sun.net.httpserver.HttpConnection.getHttpContext()}: first thing an executor thread does with a request. */
    public static final int HTTPSERVER_DEQUEUED = 18;
    /** Tomcat's {@code SocketProcessorBase.reset(SocketWrapperBase, SocketEvent)}: a socket event handed to the connector's executor. */
    public static final int TOMCAT_HAND_OFF = 19;
    /** Tomcat's {@code SocketProcessorBase.run()}: a worker thread takes the socket event up. */
    public static final int TOMCAT_RUN = 20;
    /** Tomcat's {@code ThreadPoolExecutor.beforeExecute(Thread, Runnable)}: a pool thread starts any task. */
    public static final int TOMCAT_BEFORE_EXECUTE = 21;
    /** Apache 5 async {@code InternalHttpAsyncExecRuntime.execute(String, AsyncClientExchangeHandler, HttpClientContext)}: an exchange starts on its connection. */
    public static final int APACHE5_ASYNC_EXCHANGE = 22;
    /** Not a hook: {@link #printWireTags}, from {@code MessageHeader}'s printing, reaches it. */
    public static final int URLCONNECTION_TAG_LINES = 23;
    public static final int SLOT_COUNT = 24;

    private static final AtomicReferenceArray<CallInterceptor> INTERCEPTORS =
            new AtomicReferenceArray<>(SLOT_COUNT);

    /**
     * Set by the agent just before it calls a client API to send one of its own attempts, and
     * consumed by the first instrumented method that call reaches: that method then runs as
     * written. Calls the client makes further down (an interceptor fetching a token, say) are
     * intercepted as usual.
     */
    private static final ThreadLocal<boolean[]> SKIP_NEXT = new ThreadLocal<boolean[]>() {
        @Override
        protected boolean[] initialValue() {
            return new boolean[1];
        }
    };

    private static final CodecTags NO_CODEC_TAGS = new CodecTags() {
    };
    private static volatile CodecTags codecTags = NO_CODEC_TAGS;

    private static volatile Consumer<Throwable> failureReporter;

    private Dispatcher() {
    }

    /**
     * Called by the prologue of every instrumented method. Never throws: a failure of the
     * interceptor is reported and the method runs as written, so the agent cannot break the call.
     */
    public static Object enter(int slot, Object self, Object[] args) {
        boolean[] skip = SKIP_NEXT.get();
        if (skip[0]) {
            skip[0] = false;
            return PROCEED;
        }
        CallInterceptor interceptor = INTERCEPTORS.get(slot);
        if (interceptor == null) {
            return PROCEED;
        }
        try {
            Object decision = interceptor.intercept(self, args);
            return decision instanceof Outcome ? decision : PROCEED;
        } catch (Throwable failure) {
            reportFailure(failure);
            return PROCEED;
        }
    }

    /**
     * Called by the prologue when {@link #enter} returned an {@link Outcome}: returns its value or
     * throws its failure (checked exceptions included; the JVM does not check them).
     */
    public static Object complete(Object outcome) throws Throwable {
        Outcome o = (Outcome) outcome;
        if (o.failure() != null) {
            throw o.failure();
        }
        return o.value();
    }

    /** The next instrumented method this thread enters is one of the agent's own attempts. */
    public static void skipNextInterception() {
        SKIP_NEXT.get()[0] = true;
    }

    /** Clears a {@link #skipNextInterception} the client call did not consume. */
    public static void clearSkip() {
        SKIP_NEXT.get()[0] = false;
    }

    /**
     * The tags a client's request copy keeps: {@code request} itself when it is an attempt whose
     * tags the client writes ({@link WireTags}), else {@code null}. Called where the client copies
     * the request it was given.
     */
    public static Object wireTags(Object request) {
        return request instanceof WireTags ? request : null;
    }

    /**
     * Appends a request copy's tags ({@link #wireTags}) to an HTTP/1.1 header block; nothing when
     * it has none. A failure leaves the block as it was (the attempt goes out untagged) and is reported.
     */
    public static void writeWireTags(Object tags, StringBuilder block, Map<String, List<String>> written) {
        if (tags == null) {
            return;
        }
        int length = block.length();
        try {
            ((WireTags) tags).writeLines(block, written);
        } catch (Throwable failure) {
            block.setLength(length);
            reportFailure(failure);
        }
    }

    /**
     * Adds a request copy's tags ({@link #wireTags}) to the headers its HTTP/2 stream is about to
     * encode; nothing when it has none.
     */
    public static void addWireTags(Object tags, Object requestCopy) {
        if (tags == null) {
            return;
        }
        try {
            ((WireTags) tags).addTo(requestCopy);
        } catch (Throwable failure) {
            reportFailure(failure);
        }
    }

    /**
     * Called where {@code HttpURLConnection}'s header block is printed, before its last line, with
     * the stream and the block's keys: the interceptor of {@link #URLCONNECTION_TAG_LINES}, if any,
     * writes the tags of the attempt printing it. Never throws.
     */
    public static void printWireTags(Object out, Object[] keys) {
        CallInterceptor lines = INTERCEPTORS.get(URLCONNECTION_TAG_LINES);
        if (lines == null) {
            return;
        }
        try {
            lines.intercept(out, keys);
        } catch (Throwable failure) {
            reportFailure(failure);
        }
    }

    /**
     * Called where OkHttp's exchange writes its request's headers, with its call: the {@link
     * CodecTags} installed learns whether the codec about to write them writes an attempt's tags.
     */
    public static void codecExchange(Object call) {
        try {
            codecTags.exchange(call);
        } catch (Throwable failure) {
            reportFailure(failure);
        }
    }

    /**
     * Called where OkHttp's HTTP/1.1 codec is about to end a request's header block, with the
     * stream it writes to: the {@link CodecTags} installed writes an attempt's tag lines. Never throws.
     */
    public static void codecHeaderLines(Object sink, Object headers, String requestLine) {
        try {
            codecTags.headerLines(sink, headers, requestLine);
        } catch (Throwable failure) {
            reportFailure(failure);
        }
    }

    /** Called where OkHttp's HTTP/2 codec has made a request's header list, before its stream takes it. */
    public static void codecHeaderList(Object headerList, Object request) {
        try {
            codecTags.headerList(headerList, request);
        } catch (Throwable failure) {
            reportFailure(failure);
        }
    }

    /** What OkHttp's codecs call ({@link #codecExchange}); {@code null} for nothing. */
    public static void installCodecTags(CodecTags tags) {
        codecTags = tags != null ? tags : NO_CODEC_TAGS;
    }

    public static void install(int slot, CallInterceptor interceptor) {
        INTERCEPTORS.set(slot, interceptor);
    }

    public static void uninstallAll() {
        for (int i = 0; i < SLOT_COUNT; i++) {
            INTERCEPTORS.set(i, null);
        }
        codecTags = NO_CODEC_TAGS;
    }

    public static void setFailureReporter(Consumer<Throwable> reporter) {
        failureReporter = reporter;
    }

    private static void reportFailure(Throwable failure) {
        try {
            Consumer<Throwable> reporter = failureReporter;
            if (reporter != null) {
                reporter.accept(failure);
            }
        } catch (Throwable ignored) {
            // Reporting must not turn a handled internal failure into an application failure.
        }
    }
}
