package io.tailguard.bench.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tailguard.bench.server.MiniHttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The lab's server: real HTTP on 127.0.0.1, each attempt served after a time drawn from the
 * scenario's {@link LatencyModel}, optionally behind a {@link Workers} capacity. Like most
 * thread-per-request servers it does not notice a client that went away: an attempt it accepted
 * is worked on to the end (a cancelled hedge still costs its server time), and only the write of
 * the response fails. It records every attempt: which logical request (the {@code X-Lab-Id}
 * header the application sets, which every retry and hedge carries too), when it arrived, what
 * kind it was, how long it queued and was served, and whether the client was still there to
 * read the response.
 */
public final class LabServer implements AutoCloseable {

    static final String ID_HEADER = "X-Lab-Id";

    private static final MiniHttpServer.Response OK = MiniHttpServer.Response.of(200, "ok");
    private static final MiniHttpServer.Response BUSY = MiniHttpServer.Response.of(503, "busy");

    private final LatencyModel model;
    private final Workers workers;
    private final long seed;
    private final long originNanos;
    private final Map<Long, Integer> arrivalsById = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<Attempt> current = new ThreadLocal<>();
    /** Ours, or {@code null} when the JDK's server answers. */
    private final MiniHttpServer http;
    /** The JDK's {@code com.sun.net.httpserver}, or {@code null}. */
    private final HttpServer jdk;
    private final ExecutorService jdkHandlers;
    /** The queue's length every {@link #SAMPLE_MILLIS} ms from the load's start (capacity-bound servers). */
    private final List<Integer> queueSamples = new ArrayList<>();
    private final ScheduledExecutorService sampler;
    private final AnsweredBeforeTheHandler answeredEarly = new AnsweredBeforeTheHandler();

    static final int SAMPLE_MILLIS = 10;

    /**
     * @param workers the capacity, or {@code null} for none (every attempt is served at once)
     * @param originNanos the {@link System#nanoTime} the load starts at; attempt times are relative to it
     */
    public LabServer(LatencyModel model, Workers workers, long seed, long originNanos) throws IOException {
        this(model, workers, seed, originNanos, false);
    }

    /**
     * @param jdkServer serve through the JDK's {@code com.sun.net.httpserver} as it comes (headers and
     *     body in two writes, {@code TCP_NODELAY} off) instead of ours, which sets {@code TCP_NODELAY}
     *     and writes a response at once
     */
    public LabServer(LatencyModel model, Workers workers, long seed, long originNanos, boolean jdkServer)
            throws IOException {
        this.model = model;
        this.workers = workers;
        this.seed = seed;
        this.originNanos = originNanos;
        if (jdkServer) {
            this.http = null;
            this.jdkHandlers = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "lab-jdk-httpserver");
                t.setDaemon(true);
                return t;
            });
            this.jdk = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
            jdk.setExecutor(jdkHandlers);
            jdk.createContext("/", this::serveJdk).getFilters().add(answeredEarly);
            jdk.start();
        } else {
            this.jdk = null;
            this.jdkHandlers = null;
            this.http = ours();
        }
        this.sampler = startSampler();
    }

    private MiniHttpServer ours() throws IOException {
        return new MiniHttpServer(new MiniHttpServer.Handler() {
            @Override
            public MiniHttpServer.Response handle(MiniHttpServer.Request request) throws InterruptedException {
                return serve(request::header);
            }

            @Override
            public void sent(MiniHttpServer.Request request, MiniHttpServer.Response response, long receivedNanos,
                    boolean delivered) {
                Attempt attempt = current.get();
                if (attempt != null) {
                    attempt.delivered = delivered;
                    current.remove();
                }
            }
        });
    }

    /** One exchange of the JDK's server: the same attempt, written as that server writes. */
    private void serveJdk(HttpExchange exchange) throws IOException {
        answeredEarly.reached();
        MiniHttpServer.Response response;
        try {
            response = serve(name -> exchange.getRequestHeaders().getFirst(name));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
            return;
        }
        byte[] body = (response == OK ? "ok" : "busy").getBytes(StandardCharsets.US_ASCII);
        Attempt attempt = current.get();
        current.remove();
        boolean delivered = false;
        try {
            exchange.sendResponseHeaders(response.status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            delivered = true;
        } catch (IOException clientGone) {
            // Only a write that fails shows it; a client that left may still take the bytes.
        }
        if (attempt != null) {
            attempt.delivered = delivered;
        }
    }

    private ScheduledExecutorService startSampler() {
        if (workers == null) {
            return null;
        }
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lab-queue-sampler");
                t.setDaemon(true);
                return t;
            });
        long first = Math.max(0, originNanos - System.nanoTime());
        sampler.scheduleAtFixedRate(this::sampleQueue, first, TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS),
                TimeUnit.NANOSECONDS);
        return sampler;
    }

    private void sampleQueue() {
        int index = (int) ((System.nanoTime() - originNanos) / TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS));
        int length = workers.queued();
        synchronized (queueSamples) {
            while (queueSamples.size() < index) {
                queueSamples.add(length);
            }
            queueSamples.add(length);
        }
    }

    public String url() {
        return http != null ? http.url("/work") : "http://127.0.0.1:" + jdk.getAddress().getPort() + "/work";
    }

    /** @param header a request header by its lower-case name, or {@code null} */
    private MiniHttpServer.Response serve(Function<String, String> header) throws InterruptedException {
        long arrival = System.nanoTime();
        Attempt attempt = arrive(header, arrival);
        if (attempt == null) {
            // The application's warm-up call, before the clock starts: answered at once, so that
            // a stall drawn for it cannot delay the start of the load.
            return OK;
        }
        int ordinal = attempt.ordinal;
        long id = attempt.id;
        current.set(attempt);
        if (workers != null && !workers.acquire()) {
            attempt.status = 503;
            return BUSY;
        }
        long start = System.nanoTime();
        attempt.queueNanos = start - arrival;
        attempt.startedAt = start;
        long service = model.sampleNanos(seed, id, ordinal);
        try {
            sleepUntil(start + service);
        } finally {
            if (workers != null) {
                workers.release();
            }
        }
        attempt.serviceNanos = System.nanoTime() - start;
        attempt.status = 200;
        return OK;
    }

    /** Records an attempt's arrival; {@code null} for the warm-up call, which carries no id. */
    private Attempt arrive(Function<String, String> header, long arrival) {
        String idHeader = header.apply("x-lab-id");
        long id = idHeader == null ? -1 : Long.parseLong(idHeader);
        if (id < 0) {
            return null;
        }
        int ordinal = arrivalsById.merge(id, 1, Integer::sum) - 1;
        Attempt attempt = new Attempt(id, arrival - originNanos, kind(ordinal, header));
        attempt.ordinal = ordinal;
        attempt.tags = header.apply("x-attempt") + "/" + header.apply("x-is-hedge") + "/"
                + header.apply("x-request-id");
        attempts.add(attempt);
        return attempt;
    }

    /**
     * Counts the attempts a server-side agent answered before they reached the handler (a retry
     * shed at its concurrency limit): they reached the server, as its 503s for a full queue do.
     */
    private final class AnsweredBeforeTheHandler extends com.sun.net.httpserver.Filter {
        private final ThreadLocal<boolean[]> handled = ThreadLocal.withInitial(() -> new boolean[1]);

        @Override
        public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
            boolean[] reached = handled.get();
            reached[0] = false;
            long arrival = System.nanoTime();
            chain.doFilter(exchange);
            if (!reached[0]) {
                Attempt attempt = arrive(name -> exchange.getRequestHeaders().getFirst(name), arrival);
                if (attempt != null) {
                    attempt.status = exchange.getResponseCode();
                    attempt.delivered = true;
                }
            }
        }

        void reached() {
            handled.get()[0] = true;
        }

        @Override
        public String description() {
            return "counts attempts answered before the handler";
        }
    }

    /**
     * With Tailguard's tagging the attempt says what it is ({@code X-Attempt: 1} is the primary,
     * even when a hedge overtook it); without, the first to arrive is the primary.
     */
    private static Kind kind(int ordinal, Function<String, String> header) {
        String number = header.apply("x-attempt");
        if (number != null ? number.equals("1") : ordinal == 0) {
            return Kind.PRIMARY;
        }
        return "true".equalsIgnoreCase(header.apply("x-is-hedge")) ? Kind.HEDGE : Kind.RETRY;
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            if (left > TimeUnit.MILLISECONDS.toNanos(2)) {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left - TimeUnit.MILLISECONDS.toNanos(1)));
            } else {
                LockSupport.parkNanos(left);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /** The capacity changes now (the brownout starts or ends). */
    public void setCapacity(int capacity) {
        workers.setCapacity(capacity);
    }

    /**
     * What the server saw so far: every attempt that arrived (one still being served counts the
     * work it has done up to now: a stalled attempt whose client has long gone, typically), the
     * longest queue, and the queue's length over time.
     */
    public ServerLog log() {
        long now = System.nanoTime();
        for (Attempt attempt : attempts) {
            if (attempt.status == 0 && attempt.startedAt != 0) {
                attempt.serviceNanos = now - attempt.startedAt;
            }
        }
        int[] samples;
        synchronized (queueSamples) {
            samples = queueSamples.stream().mapToInt(Integer::intValue).toArray();
        }
        return new ServerLog(new ArrayList<>(attempts), workers == null ? 0 : workers.peakQueue(), samples);
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (http != null) {
            http.close();
        } else {
            jdk.stop(0);
            jdkHandlers.shutdownNow();
        }
    }

    /** The server's side of a run. */
    public static final class ServerLog {
        public final List<Attempt> attempts;
        public final int peakQueue;
        /** Queue length every {@link #SAMPLE_MILLIS} ms since the load started; empty without a capacity. */
        public final int[] queueSamples;

        ServerLog(List<Attempt> attempts, int peakQueue, int[] queueSamples) {
            this.attempts = attempts;
            this.peakQueue = peakQueue;
            this.queueSamples = queueSamples;
        }
    }

    /** Primary: the first attempt of a logical request to arrive; the rest are hedges or retries. */
    public enum Kind { PRIMARY, RETRY, HEDGE }

    /** One attempt as the server saw it. */
    public static final class Attempt {
        public final long id;
        /** Arrival, nanoseconds after the load started. */
        public final long arrivalNanos;
        public final Kind kind;
        volatile long startedAt;
        /** Tailguard's tagging headers as they arrived: X-Attempt/X-Is-Hedge/X-Request-ID. */
        public volatile String tags;
        public volatile long queueNanos;
        public volatile long serviceNanos;
        /** 200, 503, or 0 while still being served. */
        public volatile int status;
        public volatile boolean delivered;
        /** How many attempts of this request arrived before it. */
        int ordinal;

        Attempt(long id, long arrivalNanos, Kind kind) {
            this.id = id;
            this.arrivalNanos = arrivalNanos;
            this.kind = kind;
        }
    }
}
