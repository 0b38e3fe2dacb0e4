package io.tailguard.agent.instrumentation.okhttp.adapter;

import io.tailguard.agent.engine.Execution;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Response;

/**
 * Hands the result of an enqueued logical request to the application's {@link Callback}: exactly
 * once, and on an OkHttp dispatcher thread, as OkHttp itself does.
 *
 * <p>Normally the request ends while an attempt's own callback reports to the engine; the
 * application's callback then runs right there, on that OkHttp thread, after the engine has
 * cancelled the losers. When the request ends elsewhere (an engine timer, the application's
 * {@code cancel()} during a backoff), the callback is handed to the client's dispatcher executor
 * instead, so that no agent thread ever runs application code.
 */
final class CallbackDelivery implements BiConsumer<Response, Throwable> {

    /** OkHttp 3.x logs callback failures to this logger at INFO; so do we, for the same failures. */
    private static final Logger OKHTTP_LOG = Logger.getLogger("okhttp3.OkHttpClient");

    /** The delivery whose attempt is reporting to the engine on this thread. */
    private static final ThreadLocal<CallbackDelivery> REPORTING = new ThreadLocal<>();

    private static final AtomicIntegerFieldUpdater<CallbackDelivery> SIGNALLED =
            AtomicIntegerFieldUpdater.newUpdater(CallbackDelivery.class, "signalled");

    private final Call call;
    private final Callback callback;
    /** Where the call is registered as running, and which reaches its client. */
    private final OkHttpCallInterceptor owner;
    /** 1 once the application's callback was called: updated in place rather than through an AtomicBoolean per call. */
    private volatile int signalled;
    private volatile CompletableFuture<Response> result;

    /**
     * @param call the application's call, the one its callback is told about
     * @param owner the interceptor whose running calls this one leaves when its request ends, and
     *     which reaches the call's client, on whose dispatcher threads the callback runs when the
     *     request does not end on an OkHttp thread
     */
    CallbackDelivery(Call call, Callback callback, OkHttpCallInterceptor owner) {
        this.call = call;
        this.callback = callback;
        this.owner = owner;
    }

    /** Must be called before the execution starts. */
    void attach(Execution<Response> execution) {
        this.result = execution.result();
        execution.whenDone(this);
    }

    /** The logical request ended. */
    @Override
    public void accept(Response response, Throwable failure) {
        owner.ended(call);
        if (REPORTING.get() == this) {
            return; // report() signals once the engine is done with the attempt at hand
        }
        try {
            // The client's own dispatcher threads, or, where the client cannot be reached, right here.
            OkHttpClient client = owner.clientOf(call);
            if (client == null) {
                signal();
            } else {
                client.dispatcher().executorService().execute(this::signal);
            }
        } catch (RuntimeException shutDownOrUnreachable) {
            // RejectedExecutionException from a dispatcher that was shut down: the callback
            // must still run once, here.
            signal();
        }
    }

    /**
     * Runs an attempt's report to the engine on the OkHttp thread that completed the attempt, and
     * signals the application there if that report ended the request.
     */
    void report(Report attempt) {
        CallbackDelivery outer = REPORTING.get();
        REPORTING.set(this);
        try {
            attempt.toEngine();
        } finally {
            // Set back, null included, rather than removed: a removal clears the thread's entry (a
            // weak reference, cleared by a native call) and the next report makes a new one, which
            // cost each enqueued call some 0.9 µs of an OkHttp thread's time. The entry left holds
            // no delivery.
            REPORTING.set(outer);
        }
        CompletableFuture<Response> r = result;
        if (r != null && r.isDone()) {
            signal();
        }
    }

    /** An attempt's outcome, told to the engine by {@link #report}: the attempt's own callback, so that a report makes nothing. */
    interface Report {
        void toEngine();
    }

    private void signal() {
        if (!SIGNALLED.compareAndSet(this, 0, 1)) {
            return;
        }
        Response response;
        try {
            response = result.join();
        } catch (CompletionException | CancellationException e) {
            callback.onFailure(call, asIOException(e instanceof CompletionException && e.getCause() != null
                    ? e.getCause() : e));
            return;
        }
        try {
            callback.onResponse(call, response);
        } catch (IOException e) {
            // OkHttp's own reaction to a callback that throws: log it, never signal twice.
            OKHTTP_LOG.log(Level.INFO, "Callback failure for call to " + call.request().url().redact(), e);
        }
    }

    /** {@code Callback.onFailure} takes an IOException; OkHttp wraps anything else the same way. */
    private static IOException asIOException(Throwable failure) {
        if (failure instanceof IOException) {
            return (IOException) failure;
        }
        IOException wrapped = new IOException("canceled due to " + failure);
        wrapped.addSuppressed(failure);
        return wrapped;
    }
}
