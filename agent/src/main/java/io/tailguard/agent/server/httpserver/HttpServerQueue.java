package io.tailguard.agent.server.httpserver;

import io.tailguard.agent.server.QueueWait;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.bootstrap.CallInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How long a request waited for a thread of the JDK server's executor. The server's dispatcher
 * thread hands each request to the executor in {@code ServerImpl.Dispatcher.handle(SocketChannel,
 * HttpConnection)} (one call per request: a keep-alive connection goes back to the selector between
 * requests), and the executor's thread starts it with {@code ServerImpl.Exchange.run()}, whose first
 * call on the connection is {@code HttpConnection.getHttpContext()} (checked in the JDK 17 and 25
 * sources). Both are hooked: the first notes the time per connection, the second, on the thread
 * that serves the request, tells {@link QueueWait} how long ago that was. Later calls of
 * {@code getHttpContext()} for the same request (the response streams make some) find nothing noted.
 *
 * <p>When the server side is not configured each hook costs one volatile read. The table holds a
 * connection only between the two calls; one whose task the executor refused is forgotten when the
 * table reaches {@link #MAX_QUEUED} connections.
 */
final class HttpServerQueue {

    /** More requests queued at once than any JDK server holds: the rest are leftovers of refused tasks. */
    static final int MAX_QUEUED = 65_536;

    private final ServerEngine server;
    private final Map<Object, Long> queuedAt = new ConcurrentHashMap<>();

    HttpServerQueue(ServerEngine server) {
        this.server = server;
    }

    /** For {@link Dispatcher#HTTPSERVER_QUEUED}: {@code args[1]} is the request's connection. */
    CallInterceptor queued() {
        return (self, args) -> {
            if (server.active() && args != null && args.length == 2 && args[1] != null) {
                if (queuedAt.size() >= MAX_QUEUED) {
                    queuedAt.clear();
                }
                queuedAt.put(args[1], System.nanoTime());
            }
            return Dispatcher.PROCEED;
        };
    }

    /** For {@link Dispatcher#HTTPSERVER_DEQUEUED}: {@code self} is the request's connection. */
    CallInterceptor dequeued() {
        return (self, args) -> {
            if (server.active() && self != null) {
                Long at = queuedAt.remove(self);
                if (at != null) {
                    QueueWait.dequeued(System.nanoTime() - at);
                }
            }
            return Dispatcher.PROCEED;
        };
    }
}
