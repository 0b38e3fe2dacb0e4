package io.tailguard.bench.lab;

import io.tailguard.bench.report.Stats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one run of a scenario in one mode measured: the application's view (latency from the
 * scheduled start, outcome) joined with the server's (attempts per logical request, work done).
 * Requests scheduled during the warm-up are left out of every figure, with their attempts.
 */
public final class LabResult {

    /** Timeline bins for S1. */
    static final double BIN_SECONDS = 0.25;
    /** Amplification over time is reported over sliding windows of this many bins (1 s). */
    static final int WINDOW_BINS = 4;

    public final Mode mode;
    final Scenario scenario;
    /** Scheduled start (ns after the load started) and latency of each measured request. */
    final long[] scheduled;
    final long[] latency;
    final int[] outcome;
    final int requests;
    final int succeeded;
    final int unfinished;
    final long attempts;
    final long retries;
    final long hedges;
    final long rejected;
    /**
     * Attempts Tailguard's server side answered 503 with {@code Tailguard-Shed}: retries and hedges it
     * refused, requests whose caller no longer waited.
     */
    final long shed;
    /** Attempts for which the application's handler ran (the rest Tailguard's server side answered). */
    final long handlerRuns;
    /** CPU time of the handler's threads on the measured requests' attempts, in nanoseconds. */
    final long handlerCpuNanos;
    /** CPU time of the server's process from the end of the warm-up; -1 when not measured. */
    final long processCpuNanos;
    final long undelivered;
    /** Worker-seconds the server spent on the measured requests' attempts. */
    final double workSeconds;
    /**
     * For measured requests that sent exactly one attempt: latency minus the server's queue and
     * service time, sorted. What the client side (JVM, HTTP client, agent) added to the call.
     */
    final long[] sortedClientOverhead;
    final long[] sortedLatency;
    final int peakQueue;
    /** The server's queue length every {@link LabServer#SAMPLE_MILLIS} ms since the load started. */
    final int[] queueSamples;
    /** The most the load generator fell behind its schedule, in ms: should be a few at most. */
    final double maxDispatchLagMs;
    /**
     * Per bin, over the whole run: logical requests scheduled, attempts and primary attempts that
     * arrived at the server, requests that succeeded.
     */
    final int[] requestsPerBin;
    final int[] attemptsPerBin;
    final int[] primariesPerBin;
    final int[] successesPerBin;
    final List<List<Long>> latencyPerBin;
    /**
     * Of the measured logical requests scheduled during the brownout: how many there were, and of
     * those how many had their original attempt (the first, {@code X-Attempt: 1}) answered 200 and
     * delivered, whatever became of their retries.
     */
    final int brownoutRequests;
    final int brownoutOriginalsServed;

    LabResult(Mode mode, Scenario scenario, Path clientCsv, LabServer.ServerLog server) throws IOException {
        this.mode = mode;
        this.scenario = scenario;
        this.peakQueue = server.peakQueue;
        this.queueSamples = server.queueSamples;
        this.processCpuNanos = server.processCpuNanos;
        List<LabServer.Attempt> serverAttempts = server.attempts;
        List<String> lines = Files.readAllLines(clientCsv);
        String header = lines.isEmpty() ? "" : lines.get(0);
        int lag = header.indexOf("max_dispatch_lag_ns=");
        this.maxDispatchLagMs = lag < 0 ? Double.NaN
                : Long.parseLong(header.substring(lag + "max_dispatch_lag_ns=".length()).trim()) / 1e6;
        long warmupNanos = (long) (scenario.warmupSeconds * 1e9);
        int total = lines.size() - 1;
        long[] allScheduled = new long[total];
        long[] allLatency = new long[total];
        int[] allOutcome = new int[total];
        boolean[] measured = new boolean[total];
        int count = 0;
        for (int i = 0; i < total; i++) {
            String[] f = lines.get(i + 1).split(",");
            int id = Integer.parseInt(f[0]);
            allScheduled[id] = Long.parseLong(f[1]);
            allLatency[id] = Long.parseLong(f[2]);
            allOutcome[id] = Integer.parseInt(f[3]);
            measured[id] = allScheduled[id] >= warmupNanos;
            if (measured[id]) {
                count++;
            }
        }
        scheduled = new long[count];
        latency = new long[count];
        outcome = new int[count];
        int ok = 0;
        int open = 0;
        for (int i = 0, j = 0; i < total; i++) {
            if (measured[i]) {
                scheduled[j] = allScheduled[i];
                latency[j] = allLatency[i];
                outcome[j] = allOutcome[i];
                if (isSuccess(outcome[j])) {
                    ok++;
                }
                if (outcome[j] == LabClient.UNFINISHED) {
                    open++;
                }
                j++;
            }
        }
        requests = count;
        succeeded = ok;
        unfinished = open;
        sortedLatency = latency.clone();
        Arrays.sort(sortedLatency);

        int bins = (int) Math.ceil((scenario.totalSeconds() + scenario.drainSeconds) / BIN_SECONDS) + 1;
        requestsPerBin = new int[bins];
        attemptsPerBin = new int[bins];
        primariesPerBin = new int[bins];
        successesPerBin = new int[bins];
        latencyPerBin = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            latencyPerBin.add(new ArrayList<>());
        }
        for (int i = 0; i < total; i++) {
            int b = bin(allScheduled[i], bins);
            requestsPerBin[b]++;
            if (isSuccess(allOutcome[i])) {
                successesPerBin[b]++;
            }
            latencyPerBin.get(b).add(allLatency[i]);
        }
        int[] attemptsOf = new int[total];
        long[] serverNanosOf = new long[total];
        boolean[] originalServed = new boolean[total];
        long a = 0;
        long r = 0;
        long h = 0;
        long rej = 0;
        long refused = 0;
        long runs = 0;
        long cpu = 0;
        long lost = 0;
        double work = 0;
        for (LabServer.Attempt attempt : serverAttempts) {
            if (attempt.id < 0 || attempt.id >= total) {
                continue;
            }
            attemptsPerBin[bin(attempt.arrivalNanos, bins)]++;
            if (attempt.kind == LabServer.Kind.PRIMARY) {
                primariesPerBin[bin(attempt.arrivalNanos, bins)]++;
            }
            if (!measured[(int) attempt.id]) {
                continue;
            }
            attemptsOf[(int) attempt.id]++;
            if (attempt.kind == LabServer.Kind.PRIMARY && attempt.status == 200 && attempt.delivered) {
                originalServed[(int) attempt.id] = true;
            }
            serverNanosOf[(int) attempt.id] = attempt.queueNanos + attempt.serviceNanos;
            a++;
            if (attempt.kind == LabServer.Kind.RETRY) {
                r++;
            } else if (attempt.kind == LabServer.Kind.HEDGE) {
                h++;
            }
            if (attempt.status == 503) {
                rej++;
            }
            if (attempt.shed) {
                refused++;
            }
            if (attempt.handled) {
                runs++;
            }
            cpu += attempt.cpuNanos;
            if (!attempt.delivered) {
                lost++;
            }
            work += attempt.serviceNanos / 1e9;
        }
        attempts = a;
        retries = r;
        hedges = h;
        rejected = rej;
        shed = refused;
        handlerRuns = runs;
        handlerCpuNanos = cpu;
        undelivered = lost;
        workSeconds = work;
        List<Long> overhead = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            if (measured[i] && attemptsOf[i] == 1 && isSuccess(allOutcome[i])) {
                overhead.add(allLatency[i] - serverNanosOf[i]);
            }
        }
        sortedClientOverhead = overhead.stream().mapToLong(Long::longValue).sorted().toArray();
        int brownoutFrom = brownoutFirstBin();
        int brownoutTo = brownoutEndBin();
        int offered = 0;
        int served = 0;
        for (int i = 0; i < total; i++) {
            int b = bin(allScheduled[i], bins);
            if (measured[i] && b >= brownoutFrom && b < brownoutTo) {
                offered++;
                if (originalServed[i]) {
                    served++;
                }
            }
        }
        brownoutRequests = offered;
        brownoutOriginalsServed = served;
    }

    /** What this run is called in its scenario's tables and charts. */
    public String label() {
        return scenario.label(mode);
    }

    /** Executions of the application's handler per logical request. */
    public double handlerRunsPerRequest() {
        return requests == 0 ? Double.NaN : handlerRuns / (double) requests;
    }

    /** The handler threads' CPU per logical request, in ms. */
    public double handlerCpuMsPerRequest() {
        return requests == 0 ? Double.NaN : handlerCpuNanos / 1e6 / requests;
    }

    /** The server process's CPU per logical request, in ms; {@code NaN} when not measured. */
    public double processCpuMsPerRequest() {
        return requests == 0 || processCpuNanos < 0 ? Double.NaN : processCpuNanos / 1e6 / requests;
    }

    /** Percentile of what the client side added to single-attempt requests, in ms. */
    public double clientOverheadMs(double p) {
        return sortedClientOverhead.length == 0 ? Double.NaN : Stats.percentile(sortedClientOverhead, p) / 1e6;
    }

    static boolean isSuccess(int outcome) {
        return outcome >= 200 && outcome < 300;
    }

    private static int bin(long nanos, int bins) {
        return (int) Math.max(0, Math.min(bins - 1, nanos / (long) (BIN_SECONDS * 1e9)));
    }

    /** Latency percentile in milliseconds (failures count with the time they took). */
    public double percentileMs(double p) {
        return Stats.percentile(sortedLatency, p) / 1e6;
    }

    public double maxMs() {
        return sortedLatency.length == 0 ? Double.NaN : sortedLatency[sortedLatency.length - 1] / 1e6;
    }

    public double amplification() {
        return requests == 0 ? Double.NaN : attempts / (double) requests;
    }

    public double successRate() {
        return requests == 0 ? Double.NaN : succeeded / (double) requests;
    }

    // --- S1: the timeline

    /**
     * Amplification over the 1 s window ending with bin {@code b}, as the server saw it: attempts
     * that arrived ÷ primary attempts that arrived (one per logical request).
     */
    double windowAmplification(int b) {
        return windowRatio(attemptsPerBin, primariesPerBin, b);
    }

    /** Over the 1 s window ending with bin {@code b}: the sum of {@code top} ÷ the sum of {@code bottom}. */
    private static double windowRatio(int[] top, int[] bottom, int b) {
        int t = 0;
        int d = 0;
        for (int i = Math.max(0, b - WINDOW_BINS + 1); i <= b; i++) {
            t += top[i];
            d += bottom[i];
        }
        return d == 0 ? Double.NaN : t / (double) d;
    }

    int firstMeasuredBin() {
        return (int) Math.round(scenario.warmupSeconds / BIN_SECONDS);
    }

    /** Bins while the load ran (attempts after it are stragglers, not amplification). */
    int lastLoadBin() {
        return (int) Math.round(scenario.totalSeconds() / BIN_SECONDS) - 1;
    }

    /** The highest amplification over any 1 s window of the measured load. */
    public double peakAmplification() {
        double peak = Double.NaN;
        for (int b = firstMeasuredBin() + WINDOW_BINS - 1; b <= lastLoadBin(); b++) {
            double a = windowAmplification(b);
            if (!Double.isNaN(a) && (Double.isNaN(peak) || a > peak)) {
                peak = a;
            }
        }
        return peak;
    }

    /** The first bin of the brownout: requests scheduled from then on are offered during it. */
    private int brownoutFirstBin() {
        return (int) Math.round(scenario.brownoutStart / BIN_SECONDS);
    }

    /** The first bin after the brownout. */
    private int brownoutEndBin() {
        return (int) Math.round((scenario.brownoutStart + scenario.brownoutSeconds) / BIN_SECONDS);
    }

    /** Success rate of the logical requests scheduled during the brownout. */
    public double brownoutSuccessRate() {
        int from = brownoutFirstBin();
        int to = brownoutEndBin();
        int req = 0;
        int ok = 0;
        for (int b = from; b < to; b++) {
            req += requestsPerBin[b];
            ok += successesPerBin[b];
        }
        return req == 0 ? Double.NaN : ok / (double) req;
    }

    /**
     * Of the logical requests scheduled during the brownout, the share whose original attempt (not a
     * retry or hedge) the server answered 200: what shedding retries first is for.
     */
    public double brownoutOriginalSuccessRate() {
        return brownoutRequests == 0 ? Double.NaN : brownoutOriginalsServed / (double) brownoutRequests;
    }

    /**
     * Seconds from the capacity's return until the server's backlog is gone: the first moment its
     * queue holds at most one request (at 80% load a queue forms and empties all the time, but
     * while a backlog drains it never empties). {@code NaN} when it does not happen in the run.
     */
    public double backlogDrainedSeconds() {
        double restored = scenario.brownoutStart + scenario.brownoutSeconds;
        for (int i = (int) Math.ceil(restored * 1000 / LabServer.SAMPLE_MILLIS); i < queueSamples.length; i++) {
            if (queueSamples[i] <= 1) {
                return Math.max(0, i * LabServer.SAMPLE_MILLIS / 1000.0 - restored);
            }
        }
        return Double.NaN;
    }

    /**
     * Time to recover: from the capacity's return until the backlog is gone and, from then on, for
     * 2 s, every 250 ms bin has at least 99% of its requests succeed and amplification over the
     * last second of at most 1.05. {@code NaN} when that does not happen in the run.
     */
    public double recoverySeconds() {
        double drained = backlogDrainedSeconds();
        if (Double.isNaN(drained)) {
            return Double.NaN;
        }
        int restored = (int) Math.round((scenario.brownoutStart + scenario.brownoutSeconds) / BIN_SECONDS);
        int stable = (int) Math.round(2.0 / BIN_SECONDS);
        int last = lastLoadBin();
        for (int b = restored + (int) Math.floor(drained / BIN_SECONDS); b + stable - 1 <= last; b++) {
            boolean allHealthy = true;
            for (int i = b; i < b + stable && allHealthy; i++) {
                allHealthy = healthy(i);
            }
            if (allHealthy) {
                return Math.max(drained, (b - restored) * BIN_SECONDS);
            }
        }
        return Double.NaN;
    }

    /** At least 99% of the bin's requests succeeded and amplification over the last second is at most 1.05. */
    boolean healthy(int b) {
        if (requestsPerBin[b] > 0 && successesPerBin[b] < 0.99 * requestsPerBin[b]) {
            return false;
        }
        double a = windowAmplification(b);
        return Double.isNaN(a) || a <= 1.05;
    }

    /** Success rate of the requests scheduled in the 1 s window ending with bin {@code b}. */
    double windowSuccessRate(int b) {
        return windowRatio(successesPerBin, requestsPerBin, b);
    }

    /** How the application was run. */
    public enum Mode {
        NO_AGENT("no agent"),
        NAIVE("naive retry loop"),
        TAILGUARD("Tailguard"),
        /** Tailguard in the application and in the server's JVM, with the scenario's server-side configuration. */
        BOTH_ENDS("Tailguard, both ends"),
        /** As {@link #BOTH_ENDS}, the server side also bounding the queue time of originals (S1). */
        BOTH_ENDS_BOUNDED("Tailguard, both ends, originals' queue bounded");

        final String label;

        Mode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** Whether the application runs with the agent. */
        public boolean clientAgent() {
            return this == TAILGUARD || serverAgent();
        }

        /** Whether the server's JVM runs with the agent and a server-side configuration. */
        public boolean serverAgent() {
            return this == BOTH_ENDS || this == BOTH_ENDS_BOUNDED;
        }
    }
}
