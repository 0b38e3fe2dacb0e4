package io.tailguard.agent.instrumentation.apache4.adapter;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.agent.instrumentation.ClientCalls;
import io.tailguard.agent.instrumentation.SequentialExchange;
import io.tailguard.agent.instrumentation.SlotInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.client.ServiceUnavailableRetryStrategy;
import org.apache.http.impl.client.AbstractHttpClient;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClientBuilder;
import org.apache.http.protocol.HttpContext;

/**
 * Apache HttpClient 4.5 classic, living in the application's copy of the library (see
 * {@link io.tailguard.agent.instrumentation.LibraryBridge}): {@code doExecute} hands matched
 * requests to the engine and waits for the result on the application's thread, which also runs
 * the primary attempt; the client's status retry strategy is told to stand aside where Tailguard
 * retries that status itself.
 */
public final class Apache4Interceptor implements SlotInterceptor {

    private final Engine engine;

    public Apache4Interceptor(Engine engine) {
        this.engine = engine;
    }

    @Override
    public Object intercept(int slot, Object self, Object[] args) throws Exception {
        if (slot == Dispatcher.APACHE4_SET_STATUS_RETRY) {
            return StandAsideStatusRetry.install((HttpClientBuilder) self, (ServiceUnavailableRetryStrategy) args[0]);
        }
        if (slot == Dispatcher.APACHE4_STATUS_RETRY) {
            int status = ((HttpResponse) args[0]).getStatusLine().getStatusCode();
            return Apache4Exchange.engineRetries((HttpContext) args[2], status) ? Outcome.returning(Boolean.FALSE)
                    : Dispatcher.PROCEED;
        }
        HttpHost target = (HttpHost) args[0];
        HttpRequest request = (HttpRequest) args[1];
        if (target == null || request == null || Thread.currentThread().isInterrupted()) {
            // No target: the client resolves a default host of its own or fails, as it would
            // have. Interrupted: the client gives up at once with the exception it always threw.
            return Dispatcher.PROCEED;
        }
        PolicyRuntime policy = ClientCalls.policyFor(engine, target.getHostName(), target.getPort(),
                target.getSchemeName());
        if (policy == null) {
            return Dispatcher.PROCEED;
        }
        Apache4Exchange exchange = new Apache4Exchange((CloseableHttpClient) self, target, request,
                (HttpContext) args[2]);
        if (self instanceof AbstractHttpClient) {
            // The deprecated clients take their timeouts from HttpParams, not from a request's
            // RequestConfig, so a hedge cannot be told to take only a connection that is free at
            // once; and their default connection manager holds a single connection.
            return ClientCalls.run(engine, policy, new SequentialExchange<>(exchange), exchange);
        }
        return ClientCalls.run(engine, policy, exchange, exchange);
    }
}
