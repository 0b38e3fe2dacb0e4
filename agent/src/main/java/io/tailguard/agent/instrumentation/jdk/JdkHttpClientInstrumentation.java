package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * The JDK {@code java.net.http.HttpClient}. Every client the JDK hands out
 * ({@code HttpClient.newHttpClient()}, {@code newBuilder().build()}) is a facade over
 * {@code jdk.internal.net.http.HttpClientImpl}, whose public {@code send} and two
 * {@code sendAsync} methods are the entry points. {@code send} and the two-argument
 * {@code sendAsync} reach the three-argument one only through private or already-handled paths,
 * and the engine's own attempts are marked to pass through, so each logical request is handled
 * once. Only the exported {@code java.net.http} API is used.
 */
public final class JdkHttpClientInstrumentation implements ClientInstrumentation {

    public static final String NAME = "jdk";
    static final String CLIENT = "jdk/internal/net/http/HttpClientImpl";

    /**
     * The packages of module {@code java.net.http} the agent opens to itself at startup: the
     * client's implementation, for {@link SendWithoutHandOff} and {@link WireTagging}, the API's,
     * for the one private constructor {@link AttemptRequest} uses, and the one of the client's
     * header builder, whose map {@link WireTagging} adds HTTP/2 tags to.
     */
    public static final List<String> OPENED_PACKAGES = List.of(SendWithoutHandOff.PACKAGE,
            AttemptRequest.HEADERS_PACKAGE, WireTagging.HEADERS_BUILDER_PACKAGE);
    private static final String REQUEST = "Ljava/net/http/HttpRequest;";
    private static final String HANDLER = "Ljava/net/http/HttpResponse$BodyHandler;";
    private static final String PUSH_HANDLER = "Ljava/net/http/HttpResponse$PushPromiseHandler;";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Hook> hooks() {
        return List.of(
                new Hook(CLIENT, "send", "(" + REQUEST + HANDLER + ")Ljava/net/http/HttpResponse;",
                        Dispatcher.JDK_SEND),
                new Hook(CLIENT, "sendAsync", "(" + REQUEST + HANDLER + ")Ljava/util/concurrent/CompletableFuture;",
                        Dispatcher.JDK_SEND_ASYNC),
                new Hook(CLIENT, "sendAsync",
                        "(" + REQUEST + HANDLER + PUSH_HANDLER + ")Ljava/util/concurrent/CompletableFuture;",
                        Dispatcher.JDK_SEND_ASYNC));
    }

    @Override
    public void install(Engine engine) {
        Dispatcher.install(Dispatcher.JDK_SEND, new JdkSendInterceptor(engine, true));
        Dispatcher.install(Dispatcher.JDK_SEND_ASYNC, new JdkSendInterceptor(engine, false));
        WireTagging.prepare();
    }
}
