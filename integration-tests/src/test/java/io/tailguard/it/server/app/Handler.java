package io.tailguard.it.server.app;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The servlet application's handler, the same behind the jakarta and the javax servlet: it counts
 * its runs per path, can be held until the test lets it go ({@code ?hold}), and writes its
 * response in the way the path's first segment names (a writer, an output stream, a flush in the
 * middle, from another thread after {@code service} returned, a container error page, no body, an echo).
 */
public final class Handler {

    private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
    private static final Map<String, CountDownLatch> GATES = new ConcurrentHashMap<>();
    private static final Object ENTERED = new Object();

    private Handler() {
    }

    /** What a servlet gives the handler of its request and response. */
    public interface Exchange {
        String method();

        String path();

        String query();

        String header(String name);

        byte[] body() throws IOException;

        void status(int status);

        void header(String name, String value);

        void contentType(String type);

        void contentLength(int length);

        PrintWriter writer() throws IOException;

        OutputStream stream() throws IOException;

        void sendError(int status) throws IOException;

        /** Starts asynchronous processing; another thread writes {@code text} and completes it. */
        void completeLater(String text);
    }

    public static void serve(Exchange exchange) throws IOException {
        String path = exchange.path();
        int run = enter(path, exchange.query());
        String auth = exchange.header("Authorization");
        String text = "héllo wörld from " + path + " run " + run + (auth == null ? "" : " for " + auth) + "\n";
        String style = path.split("/")[1];
        switch (style) {
            case "text":
                exchange.header("X-App", "text");
                exchange.contentType("text/plain;charset=UTF-8");
                exchange.writer().print(text);
                return;
            case "bytes":
                byte[] bytes = new byte[20_000];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) (i * 31 + run);
                }
                exchange.contentType("application/octet-stream");
                exchange.contentLength(bytes.length);
                exchange.stream().write(bytes);
                return;
            case "streamed":
                exchange.contentType("text/plain;charset=ISO-8859-1");
                PrintWriter writer = exchange.writer();
                writer.print("first part, ");
                writer.flush();
                writer.print(text);
                return;
            case "async":
                exchange.contentType("text/plain;charset=UTF-8");
                exchange.completeLater(text);
                return;
            case "missing":
                exchange.sendError(404);
                return;
            case "empty":
                exchange.status(204);
                exchange.header("X-Run", Integer.toString(run));
                return;
            case "echo":
                exchange.status(201);
                exchange.contentType("application/octet-stream");
                OutputStream out = exchange.stream();
                out.write(exchange.body());
                out.write((" run " + run).getBytes(StandardCharsets.UTF_8));
                return;
            default:
                exchange.status(400);
        }
    }

    /**
     * Counts a run for {@code path} and, when the query asks to {@code hold}, waits until the test
     * lets it go: what every application of these tests does first.
     *
     * @return the run's number
     */
    public static int enter(String path, String query) {
        int run = RUNS.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        synchronized (ENTERED) {
            ENTERED.notifyAll();
        }
        if (query != null && query.contains("hold")) {
            awaitRelease(path);
        }
        return run;
    }

    private static void awaitRelease(String path) {
        try {
            if (!GATES.computeIfAbsent(path, p -> new CountDownLatch(1)).await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released: " + path);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The writer of a response whose servlet has returned. */
    public interface LaterWriter {
        PrintWriter get() throws IOException;
    }

    /** What the other thread of an asynchronous request does: writes {@code text}, then completes. */
    public static void finishLater(LaterWriter writer, Runnable complete, String text) {
        try {
            writer.get().print(text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        complete.run();
    }

    /** How often the handler ran for {@code path}. */
    public static int runs(String path) {
        AtomicInteger runs = RUNS.get(path);
        return runs == null ? 0 : runs.get();
    }

    /** Waits until the handler has started {@code count} runs for {@code path}. */
    public static boolean awaitRuns(String path, int count, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        synchronized (ENTERED) {
            while (runs(path) < count) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                ENTERED.wait(left);
            }
        }
        return true;
    }

    /** Lets the held runs for {@code path} (and those to come) finish. */
    public static void release(String path) {
        GATES.computeIfAbsent(path, p -> new CountDownLatch(1)).countDown();
    }
}
