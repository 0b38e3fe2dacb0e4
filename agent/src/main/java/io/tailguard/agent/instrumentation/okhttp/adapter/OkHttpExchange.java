package io.tailguard.agent.instrumentation.okhttp.adapter;

import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.instrumentation.okhttp.CodecTagging;
import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * OkHttp's side of an attempt. Each attempt is an ordinary OkHttp call, so application and network
 * interceptors, the cache, redirects, authentication and OkHttp's own retry of connection failures
 * run for every attempt exactly as without the agent.
 *
 * <ul>
 *   <li>The primary is the application's own call when no header has to be added, so that the
 *       call the application holds is the one that runs; otherwise, and for retries and hedges, a
 *       new call for the same request on the same client, with the tagging headers
 *       ({@code call.clone()} when there are none to add).
 *   <li>Every new call gets what is left of the application call's own timeout
 *       ({@code callTimeout} or {@code call.timeout()}), so that the logical request never outlives it.
 *   <li>{@code execute()}: attempts run through the engine's executor, which runs them on the
 *       application's thread while it waits (its thread-locals reach the interceptors), and
 *       hedges on workers. {@code enqueue()}: attempts are enqueued on OkHttp's own dispatcher.
 *   <li>Cancelling an attempt is {@code Call.cancel()}; discarding a response closes it, which
 *       frees its connection.
 * </ul>
 */
final class OkHttpExchange implements Exchange<Response>, Exchange.Attempt, Runnable {

    /** What this OkHttp's codecs write tags with, once they can (the adapter's classes are this OkHttp's own). */
    private static volatile CodecTagging.Wire codecWire;
    /** Whether {@link #codecWire} is settled, either way: until then each tagged request asks. */
    private static volatile boolean codecWireDecided;

    private final Call call;
    private final Request request;
    private final ClientAccess clients;
    /** Where an enqueued call's attempts report; {@code null} for {@code execute()}. */
    private final CallbackDelivery delivery;
    /**
     * Failures of attempts whose call had been cancelled: those are never retried. Guarded by
     * this; made for the first such failure (an identity set starts with a table of 32 slots).
     */
    private Set<Throwable> cancelledFailures;
    /** Set before the exchange is registered as running: what the application's {@code cancel()} cancels. */
    private Execution<Response> execution;
    /** Whether a tagged copy was sent in place of the application's call, which this then marked executed. */
    private boolean claimed;
    /**
     * The first attempt of an {@code execute()}, which this exchange runs and cancels itself (as
     * {@link Runnable} and {@link Attempt}), so that most handled calls make no attempt object;
     * later attempts are {@link BlockingAttempt}s. Set once, before the attempt is handed on.
     */
    private Call firstCall;
    private AttemptListener<Response> firstListener;
    /**
     * The first attempt's tags when OkHttp's codecs write them on the application's own call
     * ({@link CodecTagging}).
     */
    private AttemptSpec firstTags;

    OkHttpExchange(Call call, ClientAccess clients, CallbackDelivery delivery) {
        this.call = call;
        this.request = call.request();
        this.clients = clients;
        this.delivery = delivery;
    }

    /** The request is handed to the engine, which also keeps the call's own deadline. */
    void running(Execution<Response> execution) {
        this.execution = execution;
    }

    Execution<Response> execution() {
        return execution;
    }

    /** The application's call, whose request this is. */
    Call applicationCall() {
        return call;
    }

    /** Nothing was sent after all, and the application's call runs as it is: its mark is taken back. */
    void unclaim() {
        if (claimed) {
            claimed = false;
            clients.markExecuted(call, false);
        }
    }

    /** Whether the application call's own timeout has run out. */
    boolean timedOut() {
        return execution.clientDeadlinePassed();
    }

    @Override
    public String method() {
        return request.method();
    }

    /** OkHttp's own rule: it never replays one-shot or duplex bodies (both exist since 3.14). */
    @Override
    public boolean replayable() {
        RequestBody body = request.body();
        return body == null || !body.isOneShot() && !body.isDuplex();
    }

    @Override
    public String requestHeader(String name) {
        return request.header(name);
    }

    /** The call's own timeout: the client's {@code callTimeout} unless the application changed it per call. */
    @Override
    public long clientTimeoutNanos() {
        long timeout = call.timeout().timeoutNanos();
        return timeout > 0 ? timeout : Long.MAX_VALUE;
    }

    @Override
    public Attempt send(AttemptSpec spec, AttemptListener<Response> listener, Executor blockingWork) {
        if (delivery == null) {
            if (firstListener == null) {
                firstCall = codecWritesTags(spec) ? call : callFor(spec);
                firstListener = listener;
                blockingWork.execute(this);
                return this;
            }
            BlockingAttempt attempt = new BlockingAttempt(callFor(spec), listener);
            blockingWork.execute(attempt);
            return attempt;
        }
        boolean codecTags = codecWritesTags(spec);
        EnqueuedAttempt attempt = new EnqueuedAttempt(codecTags ? call : callFor(spec), listener, codecTags);
        if (codecTags) {
            CodecTagging.enqueued(call, spec, codecWire);
        }
        Dispatcher.skipNextInterception();
        try {
            attempt.call.enqueue(attempt);
        } catch (Throwable notEnqueued) {
            attempt.ended();
            throw notEnqueued;
        } finally {
            Dispatcher.clearSkip();
        }
        return attempt;
    }

    /** Runs the first attempt of an {@code execute()}. */
    @Override
    public void run() {
        if (firstTags == null) {
            execute(firstCall, firstListener);
            return;
        }
        Object previous = CodecTagging.begin(firstCall, firstTags, codecWire);
        try {
            execute(firstCall, firstListener);
        } finally {
            CodecTagging.end(previous);
        }
    }

    /**
     * Whether the tagged first attempt is the application's own call, whose tags OkHttp's codecs
     * write as it runs (on this thread for an {@code execute()}, on OkHttp's for an {@code
     * enqueue()}): every tag one they may write, none set by the application on its request already.
     */
    private boolean codecWritesTags(AttemptSpec spec) {
        int tags = spec.headerCount();
        if (tags == 0 || spec.kind() != AttemptKind.PRIMARY || !codecTagsReady()) {
            return false;
        }
        for (int i = 0; i < tags; i++) {
            String name = spec.headerName(i);
            if (!CodecTagging.writable(name) || request.header(name) != null) {
                return false;
            }
        }
        firstTags = spec;
        return true;
    }

    private static boolean codecTagsReady() {
        if (!codecWireDecided) {
            Boolean ready = CodecTagging.ready(Request.class.getClassLoader());
            if (ready == null) {
                return false;
            }
            if (ready && CodecWire.usable()) {
                codecWire = new CodecWire();
            }
            codecWireDecided = true;
        }
        return codecWire != null;
    }

    /** Cancels the first attempt of an {@code execute()}. */
    @Override
    public void cancel() {
        cancel(firstCall);
    }

    private Call callFor(AttemptSpec spec) {
        int tags = spec.headerCount();
        // A tagged copy needs the client; where it cannot be reached the attempt goes untagged.
        OkHttpClient client = tags == 0 ? null : clients.clientOf(call);
        if (client == null && spec.kind() == AttemptKind.PRIMARY) {
            return call;
        }
        Call attempt;
        if (client == null) {
            attempt = call.clone();
        } else {
            Request.Builder copy = request.newBuilder();
            for (int i = 0; i < tags; i++) {
                copy.header(spec.headerName(i), spec.headerValue(i));
            }
            attempt = client.newCall(copy.build());
            if (spec.kind() == AttemptKind.PRIMARY) {
                // The application's call never runs: marked as OkHttp marks a call it ran.
                clients.markExecuted(call, true);
                claimed = true;
            }
        }
        long remaining = spec.clientTimeoutNanos();
        attempt.timeout().timeout(remaining == Long.MAX_VALUE ? 0 : remaining, TimeUnit.NANOSECONDS);
        return attempt;
    }

    private void execute(Call attempt, AttemptListener<Response> listener) {
        Response response = null;
        Throwable failure = null;
        Dispatcher.skipNextInterception();
        try {
            response = attempt.execute();
        } catch (Throwable e) {
            failure = e;
        } finally {
            Dispatcher.clearSkip();
        }
        if (failure != null) {
            listener.onFailure(noteCancelled(attempt, failure));
        } else {
            listener.onResponse(response);
        }
    }

    private Throwable noteCancelled(Call attempt, Throwable failure) {
        if (attempt.isCanceled()) {
            synchronized (this) {
                if (cancelledFailures == null) {
                    cancelledFailures = Collections.newSetFromMap(new IdentityHashMap<>());
                }
                cancelledFailures.add(failure);
            }
        }
        return failure;
    }

    private synchronized boolean wasCancelled(Throwable failure) {
        return cancelledFailures != null && cancelledFailures.remove(failure);
    }

    /** Cancels one of the engine's attempts without it counting as the application cancelling. */
    private static void cancel(Call attempt) {
        Dispatcher.skipNextInterception();
        try {
            attempt.cancel();
        } finally {
            Dispatcher.clearSkip();
        }
    }

    @Override
    public int status(Response response) {
        return response.code();
    }

    @Override
    public String responseHeader(Response response, String name) {
        return response.header(name);
    }

    /**
     * The exceptions OkHttp's {@code execute()} and {@code Callback.onFailure} report (3.14, 4.x and
     * 5.x alike): connect failures arrive as the socket's own {@code ConnectException} or
     * {@code SocketTimeoutException("connect timed out")}; a read timeout is a
     * {@code SocketTimeoutException}; the call timeout an {@code InterruptedIOException("timeout")}
     * of a call OkHttp cancelled; a dropped connection any other {@code IOException}.
     */
    @Override
    public FailureKind classify(Throwable failure) {
        if (wasCancelled(failure)) {
            // Cancelled by the application, by OkHttp's call timeout or Dispatcher.cancelAll():
            // whoever did it wants the call to stop, not to be retried.
            return FailureKind.OTHER;
        }
        if (failure instanceof ConnectException || failure instanceof NoRouteToHostException
                || failure instanceof UnknownHostException) {
            return FailureKind.CONNECT;
        }
        if (failure instanceof SocketTimeoutException) {
            String message = failure.getMessage();
            return message != null && message.toLowerCase(Locale.ROOT).contains("connect timed out")
                    ? FailureKind.CONNECT : FailureKind.TIMEOUT;
        }
        if (failure instanceof InterruptedIOException) {
            return FailureKind.TIMEOUT;
        }
        if (failure instanceof SSLException || failure instanceof ProtocolException) {
            return FailureKind.OTHER;
        }
        return failure instanceof IOException ? FailureKind.RESET : FailureKind.OTHER;
    }

    @Override
    public void discard(Response response) {
        ResponseBody body = response.body();
        if (body != null) {
            body.close();
        }
    }

    /** What OkHttp's sockets throw when a read or write times out (okio's {@code SocketAsyncTimeout}). */
    @Override
    public Throwable timeoutFailure(Duration timeout) {
        return new SocketTimeoutException("timeout");
    }

    /** What OkHttp reports for a cancelled call. */
    @Override
    public Throwable cancelledFailure() {
        return new IOException("Canceled");
    }

    /** {@code execute()} declares only {@code IOException}. */
    @Override
    public Throwable interruptedFailure(InterruptedException interrupted) {
        InterruptedIOException failure = new InterruptedIOException("interrupted");
        failure.initCause(interrupted);
        return failure;
    }

    /** One attempt's call and the engine's listener for it, and the handle that cancels it. */
    private abstract static class AttemptCall implements Attempt {
        final Call call;
        final AttemptListener<Response> listener;

        AttemptCall(Call call, AttemptListener<Response> listener) {
            this.call = call;
            this.listener = listener;
        }

        @Override
        public void cancel() {
            OkHttpExchange.cancel(call);
        }
    }

    /** One attempt of an {@code execute()}: the work handed to the engine's executor (one object per attempt). */
    private final class BlockingAttempt extends AttemptCall implements Runnable {
        BlockingAttempt(Call call, AttemptListener<Response> listener) {
            super(call, listener);
        }

        @Override
        public void run() {
            execute(call, listener);
        }
    }

    /**
     * One attempt of an {@code enqueue()}: also the callback that reports it to the engine on the
     * OkHttp thread that completed it, through the delivery (the report is this object too).
     */
    private final class EnqueuedAttempt extends AttemptCall implements Callback, CallbackDelivery.Report {
        /** Whether OkHttp's codecs write this attempt's tags, registered by its call until it ends. */
        private final boolean codecTags;
        /** The attempt's response or its failure, set on the OkHttp thread that reports it. */
        private Object outcome;

        EnqueuedAttempt(Call call, AttemptListener<Response> listener, boolean codecTags) {
            super(call, listener);
            this.codecTags = codecTags;
        }

        /** OkHttp is done sending the attempt's requests, or never started. */
        void ended() {
            if (codecTags) {
                CodecTagging.dequeued(call);
            }
        }

        @Override
        public void onFailure(Call ignored, IOException failure) {
            ended();
            outcome = noteCancelled(call, failure);
            delivery.report(this);
        }

        @Override
        public void onResponse(Call ignored, Response response) {
            ended();
            outcome = response;
            delivery.report(this);
        }

        @Override
        public void toEngine() {
            if (outcome instanceof Throwable) {
                listener.onFailure((Throwable) outcome);
            } else {
                listener.onResponse((Response) outcome);
            }
        }
    }
}
