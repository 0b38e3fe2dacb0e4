package io.tailguard.agent.instrumentation.apache5;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * Apache HttpClient 5 async ({@code CloseableHttpAsyncClient}). Its public {@code execute}
 * overloads are final and all call {@code doExecute(HttpHost, AsyncRequestProducer,
 * AsyncResponseConsumer, HandlerFactory, HttpContext, FutureCallback)} (5.6.5), implemented in
 * {@code InternalAbstractHttpAsyncClient} (the clients of {@code HttpAsyncClients.createDefault()},
 * {@code custom()}, {@code createHttp2Default()}) and {@code AbstractMinimalHttpAsyncClientBase}
 * ({@code createMinimal()}). The low-level {@code execute(AsyncClientExchangeHandler, ...)} of the
 * minimal clients bypasses it and is not handled.
 *
 * <p>The exec runtime's {@code execute(String, AsyncClientExchangeHandler, HttpClientContext)}, where
 * an exchange starts on its connection, tells an attempt its exchange, so that cancelling the
 * attempt aborts it as the client's own cancel handle would: when the pool gives a connection at
 * once, the client (5.6.5, and the 5.x before it) puts the completed lease back as the future's
 * cancel handle after the exchange had set its own, and cancelling the future alone leaves the
 * exchange running, holding its connection to the end. Only an exchange whose request went out
 * over HTTP/1.1 is aborted so (see {@code AttemptContexts.abortExchange}): over HTTP/2 the
 * exchange's abort closes a connection other exchanges may share. The HTTP/2-only client
 * ({@code H2AsyncClientBuilder}), whose runtime is another class, is not hooked.
 */
public final class Apache5AsyncInstrumentation implements ClientInstrumentation {

    private static final String ASYNC = "org/apache/hc/client5/http/impl/async/";
    private static final String DO_EXECUTE = "(Lorg/apache/hc/core5/http/HttpHost;"
            + "Lorg/apache/hc/core5/http/nio/AsyncRequestProducer;Lorg/apache/hc/core5/http/nio/AsyncResponseConsumer;"
            + "Lorg/apache/hc/core5/http/nio/HandlerFactory;Lorg/apache/hc/core5/http/protocol/HttpContext;"
            + "Lorg/apache/hc/core5/concurrent/FutureCallback;)Ljava/util/concurrent/Future;";
    private static final String RUNTIME_EXECUTE = "(Ljava/lang/String;"
            + "Lorg/apache/hc/core5/http/nio/AsyncClientExchangeHandler;"
            + "Lorg/apache/hc/client5/http/protocol/HttpClientContext;)Lorg/apache/hc/core5/concurrent/Cancellable;";

    @Override
    public String name() {
        return "apache5-async";
    }

    @Override
    public List<Hook> hooks() {
        return List.of(
                new Hook(ASYNC + "InternalAbstractHttpAsyncClient", "doExecute", DO_EXECUTE,
                        Dispatcher.APACHE5_ASYNC_EXECUTE),
                new Hook(ASYNC + "AbstractMinimalHttpAsyncClientBase", "doExecute", DO_EXECUTE,
                        Dispatcher.APACHE5_ASYNC_EXECUTE),
                new Hook(ASYNC + "InternalHttpAsyncExecRuntime", "execute", RUNTIME_EXECUTE,
                        Dispatcher.APACHE5_ASYNC_EXCHANGE),
                Apache5Adapters.STATUS_RETRY,
                Apache5Adapters.SET_ASYNC_RETRY_STRATEGY);
    }

    @Override
    public void install(Engine engine) {
        Apache5Adapters.install(engine, Dispatcher.APACHE5_ASYNC_EXECUTE, Dispatcher.APACHE5_ASYNC_EXCHANGE);
    }
}
