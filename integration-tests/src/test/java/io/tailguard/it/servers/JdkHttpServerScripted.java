package io.tailguard.it.servers;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The JDK's {@code com.sun.net.httpserver} as a {@link ScriptedServer}, as applications run it:
 * {@code TCP_NODELAY} off (the default of {@code sun.net.httpserver.nodelay}); it flushes the
 * status line and headers in {@code sendResponseHeaders} and writes the body separately. Handlers
 * run on a thread pool of their own, so that a slow reply does not hold up the next request.
 */
final class JdkHttpServerScripted extends InProcessServer {

    private final HttpServer server;
    private final ExecutorService handlers = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "jdk-httpserver-handler");
        thread.setDaemon(true);
        return thread;
    });

    JdkHttpServerScripted() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
        server.start();
    }

    private void handle(HttpExchange exchange) {
        try {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            List<String> headers = new ArrayList<>();
            exchange.getRequestHeaders().forEach((name, values) -> values.forEach(v -> headers.add(name + ": " + v)));
            Reply reply = arrived(new Recorded(exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(), body, headers));
            if (reply.delayMs > 0) {
                Thread.sleep(reply.delayMs);
            }
            if (reply.drop) {
                // Closing an exchange before its response headers closes the connection unanswered.
                return;
            }
            for (Map.Entry<String, String> header : reply.headers.entrySet()) {
                exchange.getResponseHeaders().add(header.getKey(), header.getValue());
            }
            byte[] bytes = reply.body.getBytes(StandardCharsets.UTF_8);
            boolean noBody = bytes.length == 0 || "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(reply.status, noBody ? -1 : bytes.length);
            if (!noBody) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (IOException clientGone) {
            // The client gave up on this request (a hedge that lost): nothing left to answer.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            exchange.close();
        }
    }

    @Override
    public ServerKind kind() {
        return ServerKind.JDK_HTTPSERVER;
    }

    @Override
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }
}
