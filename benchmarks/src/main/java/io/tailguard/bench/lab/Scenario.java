package io.tailguard.bench.lab;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One lab scenario: the server's latency (and capacity) model, the load, what the application and
 * the naive loop set as timeouts, the Tailguard configuration (a commented properties file in
 * {@code src/main/resources/lab/}), and the targets. Durations come in a quick and a full version.
 */
public final class Scenario {

    public final String name;
    public final String title;
    public final LatencyModel latency;
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
        try (InputStream in = Scenario.class.getResourceAsStream("/lab/" + name.toLowerCase() + ".properties")) {
            if (in == null) {
                throw new IOException("no configuration for " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public static List<Scenario> all(boolean quick) {
        return List.of(t1(quick), t2(quick), s1(quick));
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

    private static final class Builder {
        final String name;
        final String title;
        LatencyModel latency;
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
