package io.tailguard.agent.instrumentation.apache5;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.LibraryBridge;
import io.tailguard.bootstrap.Dispatcher;

/**
 * What the classic and the async instrumentation of Apache HttpClient 5 share: one adapter package
 * (one copy of it per application class loader, whichever of the two is switched on), and the hook
 * that makes the client's own status retry stand aside where Tailguard retries that status itself,
 * which both need.
 */
final class Apache5Adapters {

    static final String PACKAGE = "io.tailguard.agent.instrumentation.apache5.adapter";

    /**
     * {@code DefaultHttpRequestRetryStrategy.retryRequest(HttpResponse, int, HttpContext)}: the
     * default strategy of both the classic and the async client retries 429 and 503 once, after a
     * second or the Retry-After, whatever the method (5.6's {@code HttpRequestRetryExec} and
     * {@code AsyncHttpRequestRetryExec} check only that the body is repeatable). Its I/O variant
     * is left alone.
     */
    static final Hook STATUS_RETRY = new Hook("org/apache/hc/client5/http/impl/DefaultHttpRequestRetryStrategy",
            "retryRequest", "(Lorg/apache/hc/core5/http/HttpResponse;ILorg/apache/hc/core5/http/protocol/HttpContext;)Z",
            Dispatcher.APACHE5_STATUS_RETRY);

    /**
     * The builders' {@code setRetryStrategy(HttpRequestRetryStrategy)}: an application's own
     * strategy is wrapped so that its status retry stands aside by the same rule as the default
     * one; its I/O retry is left alone.
     */
    static final Hook SET_RETRY_STRATEGY = new Hook("org/apache/hc/client5/http/impl/classic/HttpClientBuilder",
            "setRetryStrategy", "(Lorg/apache/hc/client5/http/HttpRequestRetryStrategy;)"
            + "Lorg/apache/hc/client5/http/impl/classic/HttpClientBuilder;", Dispatcher.APACHE5_SET_RETRY_STRATEGY);
    static final Hook SET_ASYNC_RETRY_STRATEGY = new Hook("org/apache/hc/client5/http/impl/async/HttpAsyncClientBuilder",
            "setRetryStrategy", "(Lorg/apache/hc/client5/http/HttpRequestRetryStrategy;)"
            + "Lorg/apache/hc/client5/http/impl/async/HttpAsyncClientBuilder;", Dispatcher.APACHE5_SET_RETRY_STRATEGY);

    private static LibraryBridge bridge;
    private static Engine bridgeEngine;

    private Apache5Adapters() {
    }

    /** Installs the adapter for {@code slots} and for the status retry hooks. */
    static synchronized void install(Engine engine, int... slots) {
        if (bridge == null || bridgeEngine != engine) {
            bridge = new LibraryBridge(PACKAGE, PACKAGE + ".Apache5Interceptor", engine);
            bridgeEngine = engine;
        }
        for (int slot : slots) {
            bridge.install(slot);
        }
        bridge.install(Dispatcher.APACHE5_STATUS_RETRY);
        bridge.install(Dispatcher.APACHE5_SET_RETRY_STRATEGY);
    }
}
