package io.tailguard.agent.instrumentation.okhttp.adapter;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.agent.instrumentation.SlotInterceptor;
import io.tailguard.agent.instrumentation.okhttp.CodecTagging;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@code RealCall.execute()}, {@code enqueue(Callback)} and {@code cancel()} of one OkHttp (one per
 * class loader that loaded OkHttp, see {@code LibraryBridge}): hands matched calls to the engine,
 * and turns the application's {@code cancel()} into cancelling every attempt of its request.
 */
public final class OkHttpCallInterceptor implements SlotInterceptor {

    /** What {@code enqueue} returns once the engine took the call: the same for every call, as it holds nothing. */
    private static final Outcome ENQUEUED = Outcome.returning(null);

    private final Engine engine;
    private final ClientAccess clients = new ClientAccess();
    /**
     * The application's calls whose logical request is in flight, for {@code cancel()}: enqueued
     * ones, and an {@code execute()} made on a thread already in one.
     */
    private final Map<Call, OkHttpExchange> running = new ConcurrentHashMap<>();
    /** The {@code execute()} each thread is in, for {@code cancel()}. */
    private final ExecutingCalls executing = new ExecutingCalls();

    public OkHttpCallInterceptor(Engine engine) {
        this.engine = engine;
        CodecTagging.prepare(Call.class.getClassLoader());
    }

    @Override
    public Object intercept(int slot, Object self, Object[] args) throws Exception {
        Call call = (Call) self;
        switch (slot) {
            case Dispatcher.OKHTTP_EXECUTE:
                return execute(call);
            case Dispatcher.OKHTTP_ENQUEUE:
                return enqueue(call, (Callback) args[0]);
            case Dispatcher.OKHTTP_CANCEL:
                return cancel(call);
            default:
                return Dispatcher.PROCEED;
        }
    }

    private Object execute(Call call) throws Exception {
        if (Thread.currentThread().isInterrupted()) {
            return Dispatcher.PROCEED; // the plain call decides what an interrupted thread gets
        }
        Object decision = admit(call);
        if (decision != null) {
            return decision;
        }
        PolicyRuntime policy = policyFor(call.request());
        if (policy == null) {
            return Dispatcher.PROCEED;
        }
        OkHttpExchange exchange = new OkHttpExchange(call, clients, null);
        Execution<Response> execution = start(call, policy, exchange, true, null);
        if (execution == null) {
            return Dispatcher.PROCEED;
        }
        try {
            return Outcome.returning(execution.await());
        } catch (Throwable failure) {
            return Outcome.throwing(failure);
        } finally {
            // The request has ended, or was cancelled by the interrupt that ended the wait.
            unregister(call, exchange);
        }
    }

    private Object enqueue(Call call, Callback callback) throws Exception {
        if (callback == null) {
            return Dispatcher.PROCEED;
        }
        Object decision = admit(call);
        if (decision != null) {
            return decision;
        }
        PolicyRuntime policy = policyFor(call.request());
        if (policy == null) {
            return Dispatcher.PROCEED;
        }
        CallbackDelivery delivery = new CallbackDelivery(call, callback, this);
        Execution<Response> execution = start(call, policy, new OkHttpExchange(call, clients, delivery), false,
                delivery);
        return execution == null ? Dispatcher.PROCEED : ENQUEUED;
    }

    /**
     * The application cancelled its call (or OkHttp's {@code Dispatcher.cancelAll()} did): every
     * attempt of the request is cancelled, and the call itself too, as written. A cancel that
     * arrives when the call's own timeout has run out is OkHttp 4/5's call-timeout watchdog; the
     * attempts carry the same deadline and fail with OkHttp's timeout exception by themselves.
     */
    private Object cancel(Call call) {
        OkHttpExchange r = running.get(call);
        if (r == null) {
            r = executing.find(call);
        }
        if (r != null && !r.timedOut()) {
            r.execution().cancel();
        }
        return Dispatcher.PROCEED;
    }

    /** The logical request of {@code call} ended: the application's {@code cancel()} has nothing left to cancel. */
    void ended(Call call) {
        running.remove(call);
    }

    private void unregister(Call call, OkHttpExchange exchange) {
        if (!executing.exit(exchange)) {
            running.remove(call);
        }
    }

    /** The client that made {@code call}, or {@code null} where it cannot be reached. */
    OkHttpClient clientOf(Call call) {
        return clients.clientOf(call);
    }

    /**
     * @return {@code null} to go on, else what the intercepted method does instead. A call the
     *     engine handled is marked executed too, by OkHttp or, when a tagged copy ran in its
     *     place, by the exchange: OkHttp refuses its second run by itself.
     */
    private Object admit(Call call) {
        if (call.isExecuted() || call.isCanceled()) {
            return Dispatcher.PROCEED; // OkHttp reports these as it always has
        }
        return null;
    }

    /** The policy for this request, or {@code null} to let it go untouched; asked before anything is made for it. */
    private PolicyRuntime policyFor(Request request) {
        if (request.header("Upgrade") != null) {
            return null; // a web socket: a long-lived connection, not a request to repeat
        }
        HttpUrl url = request.url();
        return engine.policyFor(url.host(), url.port());
    }

    private Execution<Response> start(Call call, PolicyRuntime policy, OkHttpExchange exchange, boolean blocking,
            CallbackDelivery delivery) throws Exception {
        Execution<Response> execution = engine.newExecution(policy, exchange, blocking);
        if (execution == null) {
            return null;
        }
        exchange.running(execution);
        if (!blocking || !executing.enter(exchange)) {
            running.put(call, exchange);
        }
        if (delivery != null) {
            // execute() lets go of the call itself when its wait ends; an enqueued call's delivery
            // does when its request ends.
            delivery.attach(execution);
        }
        try {
            execution.start();
        } catch (Throwable nothingSent) {
            // The dispatcher runs the call as written; nothing of it may stay registered here.
            unregister(call, exchange);
            exchange.unclaim();
            throw nothingSent;
        }
        return execution;
    }
}
