package io.tailguard.it.app;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@code com.sun.net.httpserver} application, as plain as such applications are: one handler
 * with a few behaviours by path, and one filter of its own that counts every request reaching the
 * server (those the agent answers without the handler included). Its handler counts how often it
 * ran, per path, so tests can tell one execution from two.
 *
 * <ul>
 *   <li>{@code /work/...?ms=N}: works N ms, answers 200 with its execution number and the caller's
 *       {@code Authorization}
 *   <li>{@code /orders/...} (POST): works {@code ms}, answers 201 with its execution number and the body
 *   <li>{@code /block/...}: waits until the test releases it
 *   <li>{@code /busy/...}: 503 without any signal, as an overloaded application would
 *   <li>{@code /bytes/...}: a fixed response with headers of its own, fixed length or chunked ({@code chunked=1})
 * </ul>
 */
public final class ServerApp {

    private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> ARRIVALS = new ConcurrentHashMap<>();
    private static final AtomicInteger EXECUTIONS = new AtomicInteger();
    private static volatile CountDownLatch gate = new CountDownLatch(1);
    private static HttpServer server;
    private static ThreadPoolExecutor executor;

    private ServerApp() {
    }

    /**
     * Starts the server once: with {@code threads}, on a fixed pool of that many threads, whose
     * queue {@link #stats} reports; otherwise on a cached pool.
     */
    static synchronized Map<String, String> serve(Map<String, String> command) throws IOException {
        if (server == null) {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
            ThreadFactory threads = runnable -> {
                Thread thread = new Thread(runnable, "app-server");
                thread.setDaemon(true);
                return thread;
            };
            String fixed = command.get("threads");
            if (fixed != null) {
                int n = Integer.parseInt(fixed);
                executor = new ThreadPoolExecutor(n, n, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
                server.setExecutor(executor);
            } else {
                server.setExecutor(Executors.newCachedThreadPool(threads));
            }
            server.createContext("/", ServerApp::handle).getFilters().add(new Counting());
            server.start();
        }
        return Map.of("port", Integer.toString(server.getAddress().getPort()));
    }

    /**
     * How often requests to {@code path} arrived, how often its handler ran, and how many requests
     * wait in the fixed pool's queue.
     */
    static Map<String, String> stats(Map<String, String> command) {
        String path = command.get("path");
        Map<String, String> reply = new LinkedHashMap<>();
        reply.put("arrivals", Integer.toString(count(ARRIVALS, path)));
        reply.put("runs", Integer.toString(count(RUNS, path)));
        ThreadPoolExecutor fixed = executor;
        reply.put("queued", Integer.toString(fixed == null ? 0 : fixed.getQueue().size()));
        return reply;
    }

    static Map<String, String> release() {
        CountDownLatch released = gate;
        gate = new CountDownLatch(1);
        released.countDown();
        return Map.of();
    }

    private static int count(Map<String, AtomicInteger> counts, String path) {
        AtomicInteger n = counts.get(path);
        return n == null ? 0 : n.get();
    }

    private static void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        RUNS.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        int execution = EXECUTIONS.incrementAndGet();
        byte[] requestBody = exchange.getRequestBody().readAllBytes();
        work(exchange);
        if (path.startsWith("/block")) {
            CountDownLatch waitFor = gate;
            try {
                waitFor.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            send(exchange, 200, "released " + execution);
        } else if (path.startsWith("/busy")) {
            send(exchange, 503, "busy");
        } else if (path.startsWith("/orders")) {
            send(exchange, 201, "order " + execution + " of " + new String(requestBody, StandardCharsets.UTF_8));
        } else if (path.startsWith("/bytes")) {
            exchange.getResponseHeaders().add("X-Custom", "one");
            exchange.getResponseHeaders().add("X-Custom", "two");
            exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
            exchange.getResponseHeaders().add("X-Handler-Thread", Thread.currentThread().getName());
            byte[] body = new byte[3000];
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i * 31);
            }
            boolean chunked = "chunked=1".equals(exchange.getRequestURI().getQuery());
            exchange.sendResponseHeaders(200, chunked ? 0 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body, 0, 1000);
                out.write(body, 1000, 2000);
            }
        } else {
            send(exchange, 200, "execution " + execution + " of " + path + " for "
                    + exchange.getRequestHeaders().getFirst("Authorization"));
        }
    }

    private static void work(HttpExchange exchange) {
        String query = exchange.getRequestURI().getQuery();
        if (query != null && query.startsWith("ms=")) {
            try {
                // The handler's own work, as a slow backend call would take.
                Thread.sleep(Long.parseLong(query.substring(3)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The application's own filter: it sees every request, the ones the agent answers included. */
    private static final class Counting extends Filter {
        @Override
        public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
            ARRIVALS.computeIfAbsent(exchange.getRequestURI().getPath(), p -> new AtomicInteger()).incrementAndGet();
            chain.doFilter(exchange);
        }

        @Override
        public String description() {
            return "counts arrivals";
        }
    }
}
