package io.tailguard.agent.server.httpserver;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.tailguard.agent.server.QueueWait;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.bootstrap.CallInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;

/**
 * Hands a request to the {@link ServerEngine} when the server side is configured; otherwise the
 * JDK's {@code LinkHandler} runs as written, on the same thread, with nothing read or wrapped.
 */
final class HttpServerInterceptor implements CallInterceptor {

    private final ServerEngine server;

    HttpServerInterceptor(ServerEngine server) {
        this.server = server;
    }

    @Override
    public Object intercept(Object self, Object[] args) throws Exception {
        if (!server.active() || !(self instanceof HttpHandler) || args == null || args.length != 1
                || !(args[0] instanceof HttpExchange)) {
            return Dispatcher.PROCEED;
        }
        HttpServerExchange exchange = new HttpServerExchange((HttpExchange) args[0], (HttpHandler) self,
                QueueWait.take());
        try {
            server.handle(exchange);
            return Outcome.returning(null);
        } catch (Exception | Error failure) {
            // The handler's own exception (or the connection failing under a replay): the JDK server
            // sees it as it would have. The engine already ran the handler if it failed itself.
            return Outcome.throwing(failure);
        }
    }
}
