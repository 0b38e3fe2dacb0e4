package io.tailguard.agent.instrumentation.apache4;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.LibraryBridge;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * Apache HttpClient 4.5 classic ({@code org.apache.http}). Every {@code CloseableHttpClient.execute}
 * overload, with or without a {@code ResponseHandler}, ends in
 * {@code doExecute(HttpHost, HttpRequest, HttpContext)} (checked in 4.5.14); the clients the
 * builders hand out implement it in {@code InternalHttpClient} ({@code HttpClients.createDefault()},
 * {@code createSystem()}, {@code HttpClientBuilder}) and {@code MinimalHttpClient}
 * ({@code createMinimal()}), and the deprecated {@code DefaultHttpClient}, {@code SystemDefaultHttpClient}
 * and {@code ContentEncodingHttpClient} in {@code AbstractHttpClient}, whose {@code doExecute} is final and
 * runs the pre-4.3 {@code DefaultRequestDirector} instead. Hooking only these concrete methods means a
 * subclass that wraps another client is handled once, at the client that does the sending.
 *
 * <p>{@code DefaultServiceUnavailableRetryStrategy.retryRequest} is hooked so that a 503 Tailguard
 * retries itself is not retried by the client inside each of Tailguard's attempts as well; a 503
 * Tailguard will not retry (a POST without Idempotency-Key, say) is left to the client. An
 * application's own strategy, given to {@code HttpClientBuilder.setServiceUnavailableRetryStrategy},
 * is wrapped so that it stands aside by the same rule.
 */
public final class Apache4Instrumentation implements ClientInstrumentation {

    private static final String CLIENTS = "org/apache/http/impl/client/";
    private static final String DO_EXECUTE = "(Lorg/apache/http/HttpHost;Lorg/apache/http/HttpRequest;"
            + "Lorg/apache/http/protocol/HttpContext;)Lorg/apache/http/client/methods/CloseableHttpResponse;";
    private static final String STATUS_RETRY = "(Lorg/apache/http/HttpResponse;I"
            + "Lorg/apache/http/protocol/HttpContext;)Z";
    private static final String ADAPTER_PACKAGE = "io.tailguard.agent.instrumentation.apache4.adapter";

    @Override
    public String name() {
        return "apache4";
    }

    @Override
    public List<Hook> hooks() {
        return List.of(
                new Hook(CLIENTS + "InternalHttpClient", "doExecute", DO_EXECUTE, Dispatcher.APACHE4_EXECUTE),
                new Hook(CLIENTS + "MinimalHttpClient", "doExecute", DO_EXECUTE, Dispatcher.APACHE4_EXECUTE),
                new Hook(CLIENTS + "AbstractHttpClient", "doExecute", DO_EXECUTE, Dispatcher.APACHE4_EXECUTE),
                new Hook(CLIENTS + "DefaultServiceUnavailableRetryStrategy", "retryRequest", STATUS_RETRY,
                        Dispatcher.APACHE4_STATUS_RETRY),
                new Hook(CLIENTS + "HttpClientBuilder", "setServiceUnavailableRetryStrategy",
                        "(Lorg/apache/http/client/ServiceUnavailableRetryStrategy;)L" + CLIENTS + "HttpClientBuilder;",
                        Dispatcher.APACHE4_SET_STATUS_RETRY));
    }

    @Override
    public void install(Engine engine) {
        LibraryBridge bridge = new LibraryBridge(ADAPTER_PACKAGE, ADAPTER_PACKAGE + ".Apache4Interceptor", engine);
        bridge.install(Dispatcher.APACHE4_EXECUTE);
        bridge.install(Dispatcher.APACHE4_STATUS_RETRY);
        bridge.install(Dispatcher.APACHE4_SET_STATUS_RETRY);
    }
}
