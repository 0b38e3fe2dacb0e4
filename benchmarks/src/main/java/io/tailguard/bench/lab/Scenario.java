package io.tailguard.bench.lab;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One lab scenario: the server's latency (and capacity) model, the load, what the application and
 * the naive loop set as timeouts, the Tailguard configuration (a commented properties file in
 * {@code src/main/resources/lab/}; for the runs with Tailguard on both ends, a server-side one next to
 * it), and the targets. Durations come in a quick and a full version.
 */
public final class Scenario {

    public final String name;
    public final String title;
    public final LatencyModel latency;
    /** CPU time the handler spends on each attempt (busy) before the time drawn from {@link #latency}. */
    public final double cpuMillis;
    /**
     * Served only through the JDK's server, in a JVM of its own, whatever the run's server: the
     * scenario measures Tailguard's server side or the server's CPU.
     */
    public final boolean ownJdkServer;
    /** Requests per second, Poisson arrivals. */
    public final double rate;
    /** Seconds of load not measured (JIT, connection pool, Tailguard's latency window). */
    public final double warmupSeconds;
    /** Seconds of measured load. */
    public final double measuredSeconds;
    /** The request's own timeout in the application (all three runs); 0 = none. */
    public final long appTimeoutMs;
    /** The per-attempt timeout the naive loop uses; 0 = the application's. */
    public final long naiveTimeoutMs;
    /** How long the client waits for the last requests after the load ends. */
    public final double drainSeconds;
    /** Workers and queue for a capacity-bound server; 0 workers = unbounded. */
    public final int workers;
    public final int queueLimit;
    /** The brownout, in seconds after the load starts (S1 only). */
    public final double brownoutStart;
    public final double brownoutSeconds;
    public final int brownoutWorkers;

    private Scenario(Builder b) {
        this.name = b.name;
        this.title = b.title;
        this.latency = b.latency;
        this.cpuMillis = b.cpuMillis;
        this.ownJdkServer = b.ownJdkServer;
        this.rate = b.rate;
        this.warmupSeconds = b.warmup;
        this.measuredSeconds = b.measured;
        this.appTimeoutMs = b.appTimeoutMs;
        this.naiveTimeoutMs = b.naiveTimeoutMs;
        this.drainSeconds = b.drain;
        this.workers = b.workers;
        this.queueLimit = b.queueLimit;
        this.brownoutStart = b.brownoutStart;
        this.brownoutSeconds = b.brownoutSeconds;
        this.brownoutWorkers = b.brownoutWorkers;
    }

    public boolean hasBrownout() {
        return brownoutSeconds > 0;
    }

    public double totalSeconds() {
        return warmupSeconds + measuredSeconds;
    }

    /** The Tailguard configuration this scenario runs with, with its reasoning in comments. */
    public String tailguardConfig() throws IOException {
        return resource(name.toLowerCase(Locale.ROOT) + ".properties");
    }

    /** The configuration of Tailguard's server side in the server's JVM, for the runs with both ends. */
    public String serverConfig() throws IOException {
        return resource(name.toLowerCase(Locale.ROOT) + "-server.properties");
    }

    /**
     * What the run with the originals' queue bounded adds to {@link #serverConfig()}: a file of its
     * own, so that the report shows the one difference between the two runs with both ends.
     */
    public String boundedServerConfig() throws IOException {
        return resource(name.toLowerCase(Locale.ROOT) + "-server-bounded.properties");
    }

    /** The server-side configuration a run's server JVM gets. */
    public String serverConfig(LabResult.Mode mode) throws IOException {
        return mode == LabResult.Mode.BOTH_ENDS_BOUNDED ? serverConfig() + "\n" + boundedServerConfig() : serverConfig();
    }

    /**
     * The most of the requests offered during the brownout that the server can serve at all: its
     * brownout capacity (workers ÷ mean service time) ÷ the offered rate, at most 1; NaN without one.
     */
    public double brownoutCapacityBound() {
        if (!hasBrownout() || workers == 0) {
            return Double.NaN;
        }
        return Math.min(1, brownoutWorkers * 1000 / latency.meanMillis() / rate);
    }

    private static String resource(String file) throws IOException {
        try (InputStream in = Scenario.class.getResourceAsStream("/lab/" + file)) {
            if (in == null) {
                throw new IOException("no configuration " + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The runs of this scenario. Tailguard on both ends needs the JDK's server, the one whose hook
     * the server side has: S1 adds those runs (the second also bounding the queue time of
     * originals) when the lab serves through it.
     */
    public List<LabResult.Mode> modes(boolean jdkServer) {
        if (name.equals("S3")) {
            return List.of(LabResult.Mode.NO_AGENT, LabResult.Mode.TAILGUARD, LabResult.Mode.BOTH_ENDS);
        }
        if (name.equals("S1") && jdkServer) {
            return List.of(LabResult.Mode.NO_AGENT, LabResult.Mode.NAIVE, LabResult.Mode.TAILGUARD,
                    LabResult.Mode.BOTH_ENDS, LabResult.Mode.BOTH_ENDS_BOUNDED);
        }
        return List.of(LabResult.Mode.NO_AGENT, LabResult.Mode.NAIVE, LabResult.Mode.TAILGUARD);
    }

    /** What a run is called in this scenario's tables and charts. */
    public String label(LabResult.Mode mode) {
        if (name.equals("S3")) {
            switch (mode) {
                case NO_AGENT:
                    return "no hedging";
                case TAILGUARD:
                    return "hedging, client only";
                case BOTH_ENDS:
                    return "hedging + coalescing";
                default:
                    break;
            }
        }
        return mode.label();
    }

    /** A fresh server for one run, its capacity at full. */
    LabServer newServer(long seed, long originNanos, boolean jdkServer) throws IOException {
        Workers w = workers > 0 ? new Workers(workers, queueLimit) : null;
        return new LabServer(latency, (long) (cpuMillis * 1e6), w, seed, originNanos, jdkServer);
    }

    /** The brownout on the shared timeline: the capacity halves, then returns. */
    void scheduleBrownout(LabServer server, long originNanos, ScheduledExecutorService timeline) {
        if (!hasBrownout()) {
            return;
        }
        long now = System.nanoTime();
        timeline.schedule(() -> server.setCapacity(brownoutWorkers), originNanos + (long) (brownoutStart * 1e9) - now,
                TimeUnit.NANOSECONDS);
        timeline.schedule(() -> server.setCapacity(workers),
                originNanos + (long) ((brownoutStart + brownoutSeconds) * 1e9) - now, TimeUnit.NANOSECONDS);
    }

    public static List<Scenario> all(boolean quick) {
        return List.of(t1(quick), t2(quick), s1(quick), s3(quick));
    }

    static Scenario named(String name, boolean quick) {
        for (Scenario s : all(quick)) {
            if (s.name.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no scenario " + name);
    }

    /** T1, "tail at scale": 98% of attempts take 5–15 ms, 2% stall for 1 s. */
    static Scenario t1(boolean quick) {
        Builder b = new Builder("T1", "tail at scale: 98% 5–15 ms, 2% stall 1 s");
        b.latency = LatencyModel.mixture(LatencyModel.uniform(5, 15), new double[] {0.02},
                new LatencyModel[] {LatencyModel.uniform(1000, 1000)}, false);
        b.rate = 200;
        b.warmup = quick ? 5 : 15;
        b.measured = quick ? 15 : 150;
        b.naiveTimeoutMs = 100;
        b.drain = 5;
        return new Scenario(b);
    }

    /**
     * T2, grpc-java's hedging example: its server delays 1% of calls by 10 s, 4% by 5 s and 5% by
     * 2 s (so 10% by at least 2 s, 5% by at least 5 s), the rest answer at once.
     */
    static Scenario t2(boolean quick) {
        Builder b = new Builder("T2", "grpc-java hedging example: +2 s for 10%, +5 s for 5%, +10 s for 1%");
        b.latency = LatencyModel.mixture(LatencyModel.uniform(0, 0), new double[] {0.01, 0.04, 0.05},
                new LatencyModel[] {LatencyModel.uniform(10_000, 10_000), LatencyModel.uniform(5_000, 5_000),
                    LatencyModel.uniform(2_000, 2_000)}, true);
        b.rate = 100;
        b.warmup = 5;
        b.measured = quick ? 20 : 150;
        b.naiveTimeoutMs = 1_000;
        b.drain = 12;
        return new Scenario(b);
    }

    /**
     * S1, a retry storm: a server with 4 workers (about 200 requests/s), a queue of 50 and 503s
     * beyond it, loaded at 80% (160/s); its capacity halves to 2 workers for 10 s, then recovers.
     * The application's requests time out after 1 s.
     */
    static Scenario s1(boolean quick) {
        Builder b = new Builder("S1", "retry storm: capacity halves for 10 s under 80% load");
        b.latency = LatencyModel.uniform(15, 25);
        b.rate = 160;
        b.workers = 4;
        b.queueLimit = 50;
        b.warmup = quick ? 5 : 10;
        b.measured = quick ? 25 : 40;
        b.brownoutStart = b.warmup + (quick ? 5 : 10);
        b.brownoutSeconds = 10;
        b.brownoutWorkers = 2;
        b.appTimeoutMs = 1_000;
        b.drain = 5;
        return new Scenario(b);
    }

    /**
     * S3, "hedge hard, pay nothing": a handler that costs 2 ms of CPU, then waits 1–10 ms (9 in
     * 10 attempts) or 40–80 ms (1 in 10) on something else, drawn per attempt; 100 requests/s,
     * hedged at the client's p50. Served by the JDK's server in its own JVM, whose CPU is measured.
     */
    static Scenario s3(boolean quick) {
        Builder b = new Builder("S3", "hedge hard, pay nothing: hedging at p50 against a handler that costs CPU");
        b.cpuMillis = 2;
        b.latency = LatencyModel.mixture(LatencyModel.uniform(1, 10), new double[] {0.1},
                new LatencyModel[] {LatencyModel.uniform(40, 80)}, false);
        b.ownJdkServer = true;
        b.rate = 100;
        b.warmup = quick ? 5 : 10;
        b.measured = quick ? 15 : 90;
        b.drain = 3;
        return new Scenario(b);
    }

    private static final class Builder {
        final String name;
        final String title;
        LatencyModel latency;
        double cpuMillis;
        boolean ownJdkServer;
        double rate;
        double warmup;
        double measured;
        long appTimeoutMs;
        long naiveTimeoutMs;
        double drain;
        int workers;
        int queueLimit;
        double brownoutStart;
        double brownoutSeconds;
        int brownoutWorkers;

        Builder(String name, String title) {
            this.name = name;
            this.title = title;
        }
    }
}
