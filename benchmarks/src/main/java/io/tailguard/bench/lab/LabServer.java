package io.tailguard.bench.lab;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tailguard.bench.server.MiniHttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 *
 * <p>Served through the JDK's server, an attempt is recorded by a filter in front of the handler,
 * where the application's filters run: also an attempt that Tailguard's server side answered without
 * running the handler (coalesced with another attempt of the same request, or shed) is counted, and
 * whether the handler ran is recorded. A scenario whose handler costs CPU busy-spins that much of
 * the handler thread's CPU time before the rest of its latency. A capacity-bound JDK server queues
 * in its executor ({@link PoolWorkers}), as thread-pool servers do, not in the handler: the queue
 * Tailguard's server side measures; an attempt's arrival is then when it was queued.
 */
public final class LabServer implements AutoCloseable {

    static final String ID_HEADER = "X-Lab-Id";
    /** What Tailguard's server side adds to a retry or hedge it refused. */
    static final String SHED_HEADER = "Tailguard-Shed";

    private static final MiniHttpServer.Response OK = MiniHttpServer.Response.of(200, "ok");
    private static final MiniHttpServer.Response BUSY = MiniHttpServer.Response.of(503, "busy");

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final LatencyModel model;
    /** CPU time the handler spends on each attempt before the time drawn from the model. */
    private final long cpuNanos;
    /** The capacity as a queue inside the handler, or {@code null}. */
    private final Workers workers;
    /** The capacity as the JDK server's executor, or {@code null}. */
    private final PoolWorkers pool;
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

    static final int SAMPLE_MILLIS = 10;

    /**
     * @param workers the capacity, or {@code null} for none (every attempt is served at once)
     * @param originNanos the {@link System#nanoTime} the load starts at; attempt times are relative to it
     */
    public LabServer(LatencyModel model, Workers workers, long seed, long originNanos) throws IOException {
        this(model, 0, workers, seed, originNanos, false);
    }

    /**
     * @param jdkServer serve through the JDK's {@code com.sun.net.httpserver} as it comes (headers and
     *     body in two writes, {@code TCP_NODELAY} off) instead of ours, which sets {@code TCP_NODELAY}
     *     and writes a response at once
     * @param cpuNanos CPU time each attempt's handler spends (busy, on its own thread) before the
     *     time drawn from the model
     */
    public LabServer(LatencyModel model, long cpuNanos, Workers workers, long seed, long originNanos,
            boolean jdkServer) throws IOException {
        this.model = model;
        this.cpuNanos = cpuNanos;
        this.workers = jdkServer ? null : workers;
        this.pool = jdkServer && workers != null ? new PoolWorkers(workers.capacity(), workers.queueLimit()) : null;
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
            jdk.setExecutor(pool != null ? pool::execute : jdkHandlers);
            HttpContext context = jdk.createContext("/", this::serveJdk);
            context.getFilters().add(new Recorder());
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
                Attempt attempt = arrive(request::header);
                current.set(attempt);
                return work(attempt);
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

    /**
     * Every attempt as it arrives at the JDK's server, before Tailguard's server side (which hooks
     * in after the application's filters) and the handler: its arrival, and once it was answered,
     * how, whether or not the handler ran.
     */
    private final class Recorder extends Filter {
        @Override
        public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
            Attempt attempt = arrive(name -> exchange.getRequestHeaders().getFirst(name));
            current.set(attempt);
            try {
                chain.doFilter(exchange);
            } finally {
                current.remove();
                if (attempt != null) {
                    attempt.status = exchange.getResponseCode();
                    attempt.shed = hasHeader(exchange, SHED_HEADER);
                    if (!attempt.handled) {
                        attempt.delivered = attempt.status > 0;
                    }
                }
            }
        }

        @Override
        public String description() {
            return "lab: records every attempt";
        }
    }

    /**
     * Whether the response carries a header, by a name in any case: JDK 17's {@code Headers.putAll}
     * keeps names as given, where {@code getFirst} looks for the normalized one.
     */
    private static boolean hasHeader(HttpExchange exchange, String name) {
        for (String key : exchange.getResponseHeaders().keySet()) {
            if (key.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** The handler of the JDK's server: the same work, written as that server writes. */
    private void serveJdk(HttpExchange exchange) throws IOException {
        Attempt attempt = current.get();
        MiniHttpServer.Response response;
        try {
            response = work(attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
            return;
        }
        byte[] body = (response == OK ? "ok" : "busy").getBytes(StandardCharsets.US_ASCII);
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
        if (workers == null && pool == null) {
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
        int length = workers != null ? workers.queued() : pool.queued();
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

    /**
     * Records an attempt as it arrives.
     *
     * @param header a request header by its lower-case name, or {@code null}
     * @return the attempt, or {@code null} for the application's warm-up call
     */
    private Attempt arrive(Function<String, String> header) {
        long queued = PoolWorkers.queuedAt();
        long arrival = queued != 0 ? queued : System.nanoTime();
        String idHeader = header.apply("x-lab-id");
        long id = idHeader == null ? -1 : Long.parseLong(idHeader);
        if (id < 0) {
            return null;
        }
        int ordinal = arrivalsById.merge(id, 1, Integer::sum) - 1;
        Attempt attempt = new Attempt(id, arrival - originNanos, kind(ordinal, header));
        attempt.arrivedAt = arrival;
        attempt.ordinal = ordinal;
        attempt.tags = header.apply("x-attempt") + "/" + header.apply("x-is-hedge") + "/"
                + header.apply("x-request-id");
        attempts.add(attempt);
        return attempt;
    }

    /** The handler's work on an attempt: queue for a worker, spend the CPU, wait out the rest. */
    private MiniHttpServer.Response work(Attempt attempt) throws InterruptedException {
        if (attempt == null) {
            // The application's warm-up call, before the clock starts: answered at once, so that
            // a stall drawn for it cannot delay the start of the load.
            return OK;
        }
        attempt.handled = true;
        if (workers != null && !workers.acquire() || PoolWorkers.refused()) {
            attempt.status = 503;
            return BUSY;
        }
        long start = System.nanoTime();
        attempt.queueNanos = start - attempt.arrivedAt;
        attempt.startedAt = start;
        long cpuStart = THREADS.getCurrentThreadCpuTime();
        try {
            if (cpuNanos > 0) {
                spin(cpuStart + cpuNanos);
            }
            sleepUntil(System.nanoTime() + model.sampleNanos(seed, attempt.id, attempt.ordinal));
        } finally {
            if (workers != null) {
                workers.release();
            }
            attempt.cpuNanos = THREADS.getCurrentThreadCpuTime() - cpuStart;
        }
        attempt.serviceNanos = System.nanoTime() - start;
        attempt.status = 200;
        return OK;
    }

    /**
     * Burns this thread's CPU until its CPU time reaches {@code until}: a preempted thread does
     * not count time it did not run, so every attempt costs the same CPU however loaded the
     * machine is.
     */
    static long spin(long until) {
        long sink = 0;
        while (THREADS.getCurrentThreadCpuTime() < until) {
            for (int i = 0; i < 2_000; i++) {
                sink = sink * 6364136223846793005L + 1442695040888963407L;
            }
        }
        return sink;
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
        if (workers != null) {
            workers.setCapacity(capacity);
        } else {
            pool.setCapacity(capacity);
        }
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
        int peakQueue = workers != null ? workers.peakQueue() : pool != null ? pool.peakQueue() : 0;
        return new ServerLog(new ArrayList<>(attempts), peakQueue, samples);
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
            if (pool != null) {
                pool.shutdown();
            }
        }
    }

    /** The server's side of a run. */
    public static final class ServerLog {
        public final List<Attempt> attempts;
        public final int peakQueue;
        /** Queue length every {@link #SAMPLE_MILLIS} ms since the load started; empty without a capacity. */
        public final int[] queueSamples;
        /**
         * CPU time of the server's whole process (its own JVM) from the end of the warm-up until it
         * stopped, in nanoseconds; -1 when the server ran inside the benchmark's JVM.
         */
        public final long processCpuNanos;

        ServerLog(List<Attempt> attempts, int peakQueue, int[] queueSamples) {
            this(attempts, peakQueue, queueSamples, -1);
        }

        ServerLog(List<Attempt> attempts, int peakQueue, int[] queueSamples, long processCpuNanos) {
            this.attempts = attempts;
            this.peakQueue = peakQueue;
            this.queueSamples = queueSamples;
            this.processCpuNanos = processCpuNanos;
        }

        ServerLog withProcessCpu(long nanos) {
            return new ServerLog(attempts, peakQueue, queueSamples, nanos);
        }

        /**
         * Every attempt and the queue's length every 10 ms (on the first line): for anyone who wants
         * to look closer than the report, for {@code --report-only}, and how a server in its own JVM
         * hands its log over.
         */
        void write(Path file) throws IOException {
            StringBuilder csv = new StringBuilder("# peak_queue=" + peakQueue + " process_cpu_ns=" + processCpuNanos
                    + " queue_every_10ms=");
            for (int i = 0; i < queueSamples.length; i++) {
                csv.append(i == 0 ? "" : ";").append(queueSamples[i]);
            }
            csv.append("\nid,kind,arrival_ns,queue_ns,service_ns,status,delivered,tags,handled,shed,cpu_ns\n");
            for (Attempt a : attempts) {
                csv.append(a.id).append(',').append(a.kind).append(',').append(a.arrivalNanos).append(',')
                        .append(a.queueNanos).append(',').append(a.serviceNanos).append(',').append(a.status).append(',')
                        .append(a.delivered).append(',').append(a.tags).append(',').append(a.handled).append(',')
                        .append(a.shed).append(',').append(a.cpuNanos).append('\n');
            }
            Files.writeString(file, csv);
        }

        static ServerLog read(Path file) throws IOException {
            List<String> lines = Files.readAllLines(file);
            String header = lines.get(0);
            int peakQueue = Integer.parseInt(field(header, "peak_queue="));
            String cpu = field(header, "process_cpu_ns=");
            String queue = header.substring(header.indexOf("queue_every_10ms=") + 17).trim();
            int[] samples = queue.isEmpty() ? new int[0]
                    : java.util.Arrays.stream(queue.split(";")).mapToInt(Integer::parseInt).toArray();
            List<Attempt> attempts = new ArrayList<>();
            for (String line : lines.subList(2, lines.size())) {
                String[] f = line.split(",", -1);
                Attempt a = new Attempt(Long.parseLong(f[0]), Long.parseLong(f[2]), Kind.valueOf(f[1]));
                a.queueNanos = Long.parseLong(f[3]);
                a.serviceNanos = Long.parseLong(f[4]);
                a.status = Integer.parseInt(f[5]);
                a.delivered = Boolean.parseBoolean(f[6]);
                a.tags = f[7];
                // Logs written before the handler's runs were recorded: every attempt ran it.
                a.handled = f.length <= 8 || Boolean.parseBoolean(f[8]);
                a.shed = f.length > 9 && Boolean.parseBoolean(f[9]);
                a.cpuNanos = f.length > 10 ? Long.parseLong(f[10]) : 0;
                attempts.add(a);
            }
            return new ServerLog(attempts, peakQueue, samples, cpu == null ? -1 : Long.parseLong(cpu));
        }

        private static String field(String header, String name) {
            int at = header.indexOf(name);
            return at < 0 ? null : header.substring(at + name.length()).split(" ")[0];
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
        volatile long arrivedAt;
        /** How many attempts of the same request arrived before this one. */
        volatile int ordinal;
        volatile long startedAt;
        /** Tailguard's tagging headers as they arrived: X-Attempt/X-Is-Hedge/X-Request-ID. */
        public volatile String tags;
        public volatile long queueNanos;
        public volatile long serviceNanos;
        /** 200, 503, or 0 while still being served. */
        public volatile int status;
        public volatile boolean delivered;
        /** Whether the application's handler ran for it (not when Tailguard answered in its place). */
        public volatile boolean handled;
        /** Refused by Tailguard's server side: 503 with {@code Tailguard-Shed}. */
        public volatile boolean shed;
        /** CPU time of the handler's thread while it worked on this attempt. */
        public volatile long cpuNanos;

        Attempt(long id, long arrivalNanos, Kind kind) {
            this.id = id;
            this.arrivalNanos = arrivalNanos;
            this.kind = kind;
        }
    }
}
