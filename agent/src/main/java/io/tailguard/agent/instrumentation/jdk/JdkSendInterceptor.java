package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.bootstrap.CallInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

/** {@code HttpClient.send} (blocking) and {@code sendAsync}: hands matched requests to the engine. */
final class JdkSendInterceptor implements CallInterceptor {

    private final Engine engine;
    private final boolean blocking;

    JdkSendInterceptor(Engine engine, boolean blocking) {
        this.engine = engine;
        this.blocking = blocking;
    }

    @Override
    public Object intercept(Object self, Object[] args) throws Exception {
        HttpRequest request = (HttpRequest) args[0];
        URI uri = request.uri();
        PolicyRuntime policy = engine.policyFor(uri.getHost(), port(uri));
        if (policy == null) {
            return Dispatcher.PROCEED;
        }
        if (args.length > 2 && args[2] != null) {
            // A push promise handler: HTTP/2 server push does not fit attempts that can be
            // cancelled and repeated; such requests go out untouched.
            return Dispatcher.PROCEED;
        }
        if (blocking && Thread.currentThread().isInterrupted()) {
            // send() itself throws InterruptedException at once; let it.
            return Dispatcher.PROCEED;
        }
        @SuppressWarnings("unchecked")
        HttpResponse.BodyHandler<Object> handler = (HttpResponse.BodyHandler<Object>) args[1];
        JdkExchange exchange = new JdkExchange((HttpClient) self, request, handler);
        Execution<HttpResponse<Object>> execution = engine.newExecution(policy, exchange, blocking);
        if (execution == null) {
            return Dispatcher.PROCEED;
        }
        execution.start();
        if (!blocking) {
            CompletableFuture<HttpResponse<Object>> result = execution.result();
            return Outcome.returning(result);
        }
        try {
            return Outcome.returning(execution.await());
        } catch (IOException | InterruptedException | RuntimeException | Error failure) {
            // What send threw for the last attempt, or the engine's own timeout or interrupt:
            // all of them types send declares.
            return Outcome.throwing(failure);
        } catch (Throwable other) {
            return Outcome.throwing(new IOException(other.getMessage(), other));
        }
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
