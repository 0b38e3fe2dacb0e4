package io.tailguard.agent.instrumentation.apache4;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.LibraryBridge;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * Apache HttpAsyncClient 4.1 ({@code org.apache.http.impl.nio.client}), the client under
 * Elasticsearch's low-level {@code RestClient} and many SDKs. Every single-request
 * {@code execute} overload of {@code CloseableHttpAsyncClient} ends in
 * {@code execute(HttpAsyncRequestProducer, HttpAsyncResponseConsumer, HttpContext, FutureCallback)}
 * (checked in 4.1.5), implemented in {@code InternalHttpAsyncClient} ({@code HttpAsyncClients.createDefault()},
 * {@code createSystem()}, {@code custom()}) and {@code MinimalHttpAsyncClient} ({@code createMinimal()}).
 * The pipelining {@code execute(HttpHost, List, List, ...)} of the minimal client is not handled.
 *
 * <p>4.1 has no retry of its own (no retry handler, no status retry strategy), so there is nothing
 * to compose with: Tailguard's attempts are the only re-sends.
 *
 * <p>The adapter lives in a sub-package of the 4.5 classic adapter and is defined together with
 * it, because it copies requests the way the classic adapter does (HttpAsyncClient 4.1 always runs
 * on an HttpClient 4.5 jar).
 */
public final class Apache4AsyncInstrumentation implements ClientInstrumentation {

    private static final String CLIENTS = "org/apache/http/impl/nio/client/";
    private static final String EXECUTE = "(Lorg/apache/http/nio/protocol/HttpAsyncRequestProducer;"
            + "Lorg/apache/http/nio/protocol/HttpAsyncResponseConsumer;Lorg/apache/http/protocol/HttpContext;"
            + "Lorg/apache/http/concurrent/FutureCallback;)Ljava/util/concurrent/Future;";
    private static final String ADAPTER_PACKAGE = "io.tailguard.agent.instrumentation.apache4.adapter";

    @Override
    public String name() {
        return "apache4-async";
    }

    @Override
    public List<Hook> hooks() {
        return List.of(
                new Hook(CLIENTS + "InternalHttpAsyncClient", "execute", EXECUTE, Dispatcher.APACHE4_ASYNC_EXECUTE),
                new Hook(CLIENTS + "MinimalHttpAsyncClient", "execute", EXECUTE, Dispatcher.APACHE4_ASYNC_EXECUTE));
    }

    @Override
    public void install(Engine engine) {
        new LibraryBridge(ADAPTER_PACKAGE, ADAPTER_PACKAGE + ".nio.Apache4AsyncInterceptor", engine)
                .install(Dispatcher.APACHE4_ASYNC_EXECUTE);
    }
}
