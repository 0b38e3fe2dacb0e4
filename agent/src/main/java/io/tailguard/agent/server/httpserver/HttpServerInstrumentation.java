package io.tailguard.agent.server.httpserver;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * The JDK's {@code com.sun.net.httpserver}. {@code sun.net.httpserver.ServerImpl.Exchange.run}
 * builds two filter chains per request, the application's filters and then the server's own
 * (authentication) with the application's handler at its end, and links them with a
 * {@code LinkHandler} whose {@code handle(HttpExchange)} is called exactly once per request,
 * on the thread that runs the handler (checked in the JDK 17 and 25 sources). That call is the
 * hook: after the application's filters (which may have wrapped the streams), before the
 * context's authenticator and the handler. Only the exported {@code com.sun.net.httpserver} API is
 * used on the exchange. Two more hooks measure how long each request waited for a thread of the
 * server's executor ({@link HttpServerQueue}).
 */
public final class HttpServerInstrumentation implements ClientInstrumentation {

    public static final String NAME = "httpserver";
    /** The module whose hooked class must read the bootstrap class path's dispatcher. */
    public static final String MODULE = "jdk.httpserver";

    private static final String LINK_HANDLER = "sun/net/httpserver/ServerImpl$Exchange$LinkHandler";
    private static final String DISPATCHER = "sun/net/httpserver/ServerImpl$Dispatcher";
    private static final String CONNECTION = "sun/net/httpserver/HttpConnection";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Hook> hooks() {
        return List.of(new Hook(LINK_HANDLER, "handle", "(Lcom/sun/net/httpserver/HttpExchange;)V",
                Dispatcher.HTTPSERVER_HANDLE),
                new Hook(DISPATCHER, "handle", "(Ljava/nio/channels/SocketChannel;L" + CONNECTION + ";)V",
                        Dispatcher.HTTPSERVER_QUEUED),
                new Hook(CONNECTION, "getHttpContext", "()Lsun/net/httpserver/HttpContextImpl;",
                        Dispatcher.HTTPSERVER_DEQUEUED));
    }

    @Override
    public void install(Engine engine) {
        HttpServerQueue queue = new HttpServerQueue(engine.server());
        Dispatcher.install(Dispatcher.HTTPSERVER_QUEUED, queue.queued());
        Dispatcher.install(Dispatcher.HTTPSERVER_DEQUEUED, queue.dequeued());
        Dispatcher.install(Dispatcher.HTTPSERVER_HANDLE, new HttpServerInterceptor(engine.server()));
    }
}
