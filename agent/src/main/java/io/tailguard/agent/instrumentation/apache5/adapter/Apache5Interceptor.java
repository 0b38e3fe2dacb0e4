package io.tailguard.agent.instrumentation.apache5.adapter;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.agent.instrumentation.ClientCalls;
import io.tailguard.agent.instrumentation.SlotInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import org.apache.hc.client5.http.HttpRequestRetryStrategy;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.routing.RoutingSupport;
import org.apache.hc.core5.concurrent.ComplexFuture;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Apache HttpClient 5, living in the application's copy of the library (see
 * {@link io.tailguard.agent.instrumentation.LibraryBridge}): the classic {@code doExecute} waits
 * for the engine on the application's thread, which also runs the primary attempt; the async
 * {@code doExecute} returns a future the engine completes; the client's status retry strategy is
 * told to stand aside where Tailguard retries that status itself.
 */
public final class Apache5Interceptor implements SlotInterceptor {

    private final Engine engine;

    public Apache5Interceptor(Engine engine) {
        this.engine = engine;
    }

    @Override
    public Object intercept(int slot, Object self, Object[] args) throws Exception {
        switch (slot) {
            case Dispatcher.APACHE5_STATUS_RETRY:
                return AttemptContexts.engineRetries((HttpContext) args[2], ((HttpResponse) args[0]).getCode())
                        ? Outcome.returning(Boolean.FALSE) : Dispatcher.PROCEED;
            case Dispatcher.APACHE5_SET_RETRY_STRATEGY:
                return StandAsideRetryStrategy.install(self, (HttpRequestRetryStrategy) args[0]);
            case Dispatcher.APACHE5_EXECUTE:
                return classic((CloseableHttpClient) self, (HttpHost) args[0], (ClassicHttpRequest) args[1],
                        (HttpContext) args[2]);
            case Dispatcher.APACHE5_ASYNC_EXECUTE:
                return async((CloseableHttpAsyncClient) self, args);
            case Dispatcher.APACHE5_ASYNC_EXCHANGE:
                AttemptContexts.exchangeStarts((HttpContext) args[2], (AsyncClientExchangeHandler) args[1]);
                return Dispatcher.PROCEED;
            default:
                return Dispatcher.PROCEED;
        }
    }

    /**
     * Only requests whose producer is a {@code BasicRequestProducer} (what {@code SimpleHttpRequest},
     * {@code SimpleRequestBuilder} and {@code AsyncRequestBuilder} make) are handled: handing over
     * its request is known to have no side effect, so the request can be looked at before it is
     * sent. Push handlers, other producers and requests no policy matches pass through untouched.
     */
    @SuppressWarnings("unchecked")
    private Object async(CloseableHttpAsyncClient client, Object[] args) throws Exception {
        AsyncRequestProducer producer = (AsyncRequestProducer) args[1];
        AsyncResponseConsumer<Object> consumer = (AsyncResponseConsumer<Object>) args[2];
        if (!(producer instanceof BasicRequestProducer) || consumer == null || args[3] != null) {
            return Dispatcher.PROCEED;
        }
        HttpContext context = (HttpContext) args[4];
        AsyncExchange.Captured captured = new AsyncExchange.Captured();
        producer.sendRequest(captured, context);
        if (captured.request == null) {
            return Dispatcher.PROCEED;
        }
        HttpHost target = args[0] != null ? (HttpHost) args[0] : RoutingSupport.determineHost(captured.request);
        PolicyRuntime policy = policyFor(target);
        if (policy == null) {
            return Dispatcher.PROCEED;
        }
        AsyncExchange exchange = new AsyncExchange(client, target, producer, captured, consumer, context);
        Execution<AsyncExchange.Attempted> execution = engine.newExecution(policy, exchange, false);
        if (execution == null) {
            return Dispatcher.PROCEED;
        }
        ComplexFuture<Object> future = new ComplexFuture<>((FutureCallback<Object>) args[5]);
        exchange.runs(execution, future);
        future.setDependency(exchange);
        execution.whenDone(exchange);
        execution.start();
        return Outcome.returning(future);
    }

    private Object classic(CloseableHttpClient client, HttpHost target, ClassicHttpRequest request,
            HttpContext context) throws Exception {
        if (request == null || Thread.currentThread().isInterrupted()) {
            return Dispatcher.PROCEED;
        }
        HttpHost resolved = target != null ? target : RoutingSupport.determineHost(request);
        PolicyRuntime policy = policyFor(resolved);
        if (policy == null) {
            return Dispatcher.PROCEED;
        }
        ClassicExchange exchange = new ClassicExchange(client, resolved, request, context);
        return ClientCalls.run(engine, policy, exchange, exchange);
    }

    private PolicyRuntime policyFor(HttpHost target) {
        return target == null ? null
                : ClientCalls.policyFor(engine, target.getHostName(), target.getPort(), target.getSchemeName());
    }
}
