package io.tailguard.agent.instrumentation.apache5;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * Apache HttpClient 5 classic ({@code org.apache.hc.client5.http.impl.classic}). Every
 * {@code CloseableHttpClient.execute} overload, the response-handler ones included, calls
 * {@code doExecute(HttpHost, ClassicHttpRequest, HttpContext)} (5.0 to 5.6; checked in 5.6.4's
 * sources and 5.6.5's class files), implemented by {@code InternalHttpClient}
 * ({@code HttpClients.createDefault()}, {@code custom()}, {@code createSystem()}) and
 * {@code MinimalHttpClient} ({@code createMinimal()}). Wrappers that delegate to such a client
 * are handled once, where the delegate sends.
 */
public final class Apache5ClassicInstrumentation implements ClientInstrumentation {

    private static final String CLASSIC = "org/apache/hc/client5/http/impl/classic/";
    private static final String DO_EXECUTE = "(Lorg/apache/hc/core5/http/HttpHost;Lorg/apache/hc/core5/http/ClassicHttpRequest;"
            + "Lorg/apache/hc/core5/http/protocol/HttpContext;)Lorg/apache/hc/client5/http/impl/classic/CloseableHttpResponse;";

    @Override
    public String name() {
        return "apache5";
    }

    @Override
    public List<Hook> hooks() {
        return List.of(
                new Hook(CLASSIC + "InternalHttpClient", "doExecute", DO_EXECUTE, Dispatcher.APACHE5_EXECUTE),
                new Hook(CLASSIC + "MinimalHttpClient", "doExecute", DO_EXECUTE, Dispatcher.APACHE5_EXECUTE),
                Apache5Adapters.STATUS_RETRY,
                Apache5Adapters.SET_RETRY_STRATEGY);
    }

    @Override
    public void install(Engine engine) {
        Apache5Adapters.install(engine, Dispatcher.APACHE5_EXECUTE);
    }
}
