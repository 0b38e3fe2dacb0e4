package io.tailguard.agent.instrumentation.apache4.adapter.nio;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.agent.instrumentation.ClientCalls;
import io.tailguard.agent.instrumentation.SlotInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.concurrent.BasicFuture;
import org.apache.http.concurrent.FutureCallback;
import org.apache.http.impl.nio.client.CloseableHttpAsyncClient;
import org.apache.http.nio.protocol.HttpAsyncRequestProducer;
import org.apache.http.nio.protocol.HttpAsyncResponseConsumer;
import org.apache.http.protocol.HttpContext;

/**
 * Apache HttpAsyncClient 4.1, living in the application's copy of the library (see
 * {@link io.tailguard.agent.instrumentation.LibraryBridge}): {@code execute} hands a matched
 * request to the engine and returns a future the engine completes. Requests whose producer
 * Tailguard cannot read without side effects, requests no policy matches, and calls on a client
 * that is not running pass through untouched.
 */
public final class Apache4AsyncInterceptor implements SlotInterceptor {

    private final Engine engine;

    public Apache4AsyncInterceptor(Engine engine) {
        this.engine = engine;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object intercept(int slot, Object self, Object[] args) throws Exception {
        CloseableHttpAsyncClient client = (CloseableHttpAsyncClient) self;
        HttpAsyncRequestProducer producer = (HttpAsyncRequestProducer) args[0];
        HttpAsyncResponseConsumer<Object> consumer = (HttpAsyncResponseConsumer<Object>) args[1];
        if (consumer == null || !NioExchange.readable(producer) || !client.isRunning()) {
            // Not running: the client throws its own IllegalStateException, as it always did.
            return Dispatcher.PROCEED;
        }
        HttpHost target = producer.getTarget();
        HttpRequest request = producer.generateRequest();
        if (target == null || request == null) {
            return Dispatcher.PROCEED;
        }
        PolicyRuntime policy = ClientCalls.policyFor(engine, target.getHostName(), target.getPort(),
                target.getSchemeName());
        if (policy == null) {
            return Dispatcher.PROCEED;
        }
        NioExchange exchange = new NioExchange(client, producer, target, request, consumer, (HttpContext) args[2]);
        Execution<NioExchange.Attempted> execution = engine.newExecution(policy, exchange, false);
        if (execution == null) {
            return Dispatcher.PROCEED;
        }
        RequestFuture future = new RequestFuture((FutureCallback<Object>) args[3], execution);
        exchange.completes(future);
        execution.whenDone(exchange);
        execution.start();
        return Outcome.returning(future);
    }

    /** The application's future: cancelling it cancels the request's attempts. */
    static final class RequestFuture extends BasicFuture<Object> {
        private final Execution<?> execution;

        RequestFuture(FutureCallback<Object> callback, Execution<?> execution) {
            super(callback);
            this.execution = execution;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                execution.cancel();
            }
            return cancelled;
        }
    }
}
