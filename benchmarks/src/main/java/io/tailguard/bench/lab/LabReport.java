package io.tailguard.bench.lab;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.report.Markdown;
import io.tailguard.bench.report.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes {@code lab.md}: per scenario a table, the charts, and the targets with verdicts. */
final class LabReport {

    private final RunOptions options;
    private final String machine;
    private final double loadBefore;
    private final double loadAfter;
    private final double minutes;

    LabReport(RunOptions options, String machine, double loadBefore, double loadAfter, double minutes) {
        this.options = options;
        this.machine = machine;
        this.loadBefore = loadBefore;
        this.loadAfter = loadAfter;
        this.minutes = minutes;
    }

    void write(Map<Scenario, List<LabResult>> results) throws IOException {
        Path out = options.out;
        Files.createDirectories(out);
        Markdown md = new Markdown();
        md.heading(1, "Tail lab (" + (options.quick ? "quick" : "full") + " run)");
        String client = options.clients.isEmpty() ? "jdk" : options.clients.get(0);
        md.paragraph("Machine: " + machine + ". Client: " + client + ". " + Markdown.num(minutes, 1)
                + " min; load average "
                + Markdown.num(loadBefore, 2) + " before, " + Markdown.num(loadAfter, 2) + " after."
                + " Agent (in the runs with Tailguard): " + options.agentDescription() + ". Reproduce: `"
                + reproduce(options) + "`."
                + (options.labServer.equals("jdk") ? " Server: the JDK's `com.sun.net.httpserver` as it comes (headers and"
                        + " body in two writes, `TCP_NODELAY` off) with the lab's latency model in its handler, in a JVM"
                        + " of its own, instead of the lab's own server. Where a scenario bounds the server's capacity,"
                        + " the JDK server's executor is that bound (a fixed pool of workers that run the handler, a"
                        + " bounded queue of requests waiting for one, 503 beyond it), as in thread-pool servers; an"
                        + " attempt's arrival is when it was queued." : ""));
        md.paragraph("Each scenario runs three times against a fresh lab server (real HTTP on 127.0.0.1, latency "
                + "drawn per attempt; the same request gets the same primary latency in all three runs): the "
                + "application (a blocking GET through the client above) without the agent; the same "
                + "application wrapped in the seed article's retry "
                + "loop (up to 3 retries on any failure, 100 ms × 2^n + up to 50 ms jitter, capped at 2 s); and "
                + "the plain application with Tailguard (`-javaagent`, configuration below). Against the JDK's "
                + "server, S1 runs a fourth time with Tailguard on both ends: the same application, and the "
                + "server's JVM started with the agent and a server-side configuration (below); and a fifth, "
                + "the same with the server side also bounding how long an original may wait in its queue. "
                + "S3 has runs of its own (see there). Load is open-loop: "
                + "Poisson arrivals at a fixed rate, each request on its own thread, latency measured from the "
                + "scheduled start. Latencies include failures at the time they failed. Amplification = "
                + "attempts that reached the server ÷ logical requests (counted where the application's "
                + "filters run, so also those Tailguard's server side answers without the handler). Server "
                + "work = worker-seconds spent on attempts (the server, like most thread-per-request servers, "
                + "finishes an attempt whose client has gone).");
        Markdown.Table targets = new Markdown().table("-scenario", "-target", "measured", "verdict");
        for (Map.Entry<Scenario, List<LabResult>> e : results.entrySet()) {
            section(md, out, e.getKey(), e.getValue());
            targetRows(targets, e.getKey(), e.getValue());
        }
        md.heading(2, "Targets");
        md.raw(targets.end().toString());
        Files.writeString(out.resolve("lab.md"), md.toString());
        System.out.println(md);
    }

    private void section(Markdown md, Path out, Scenario s, List<LabResult> runs) throws IOException {
        md.heading(2, s.name + ": " + s.title);
        md.paragraph("Server: " + (s.cpuMillis > 0 ? fmt(s.cpuMillis) + " ms of CPU (busy), then " : "")
                + s.latency.describe() + (s.workers > 0 ? "; " + s.workers + " workers, queue of "
                + s.queueLimit + ", 503 beyond it; " + s.brownoutWorkers + " workers from " + fmt(s.brownoutStart)
                + " s to " + fmt(s.brownoutStart + s.brownoutSeconds) + " s" : "; no capacity limit")
                + ". Load: " + fmt(s.rate) + " requests/s for " + fmt(s.measuredSeconds) + " s after " + fmt(s.warmupSeconds)
                + " s of warm-up. Application timeout: " + (s.appTimeoutMs > 0 ? s.appTimeoutMs + " ms" : "none")
                + (s.naiveTimeoutMs > 0 ? "; the naive loop's per-attempt timeout: " + s.naiveTimeoutMs + " ms" : "")
                + "." + (s.ownJdkServer ? " Served by the JDK's `com.sun.net.httpserver` in a JVM of its own in every"
                        + " run, whatever `--server` says: the server's CPU is measured, and coalescing acts through"
                        + " that server's hook." : ""));
        Markdown.Table table = md.table("-run", "requests", "success", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms",
                "max ms", "amplification", "retries", "hedges", "server work s", "work vs no agent");
        LabResult base = of(runs, LabResult.Mode.NO_AGENT);
        double baseWork = base == null ? Double.NaN : base.workSeconds;
        for (LabResult r : runs) {
            table.row(r.label(), r.requests, Markdown.num(r.successRate() * 100, 2) + " %",
                    Markdown.num(r.percentileMs(50), 1), Markdown.num(r.percentileMs(95), 1),
                    Markdown.num(r.percentileMs(99), 1), Markdown.num(r.percentileMs(99.9), 1),
                    Markdown.num(r.maxMs(), 0), Markdown.num(r.amplification(), 3), r.retries, r.hedges,
                    Markdown.num(r.workSeconds, 1), "×" + Markdown.num(r.workSeconds / baseWork, 2));
        }
        table.end();
        Markdown.Table client = md.table("-run", "client side p50 ms", "p99 ms", "p99.9 ms",
                "load generator's largest lag ms");
        for (LabResult r : runs) {
            client.row(r.label(), Markdown.num(r.clientOverheadMs(50), 2), Markdown.num(r.clientOverheadMs(99), 2),
                    Markdown.num(r.clientOverheadMs(99.9), 2), Markdown.num(r.maxDispatchLagMs, 1));
        }
        client.end();
        md.paragraph("Client side: latency minus the server's queue and service time, for requests that sent a "
                + "single attempt: what the JVM, the HTTP client and the agent added. The lag is how far the load "
                + "generator fell behind its schedule; latencies are measured from the schedule, so lag counts "
                + "against a run, as it would for a real caller.");
        if (s.hasBrownout()) {
            double bound = s.brownoutCapacityBound();
            Markdown.Table storm = md.table("-run", "peak amplification (1 s)",
                    "success during brownout (at most " + percent(bound) + ")",
                    "originals served during brownout", "time to recover", "backlog drained after", "503s", "of them shed", "peak queue");
            for (LabResult r : runs) {
                storm.row(r.label(), Markdown.num(r.peakAmplification(), 2),
                        Markdown.num(r.brownoutSuccessRate() * 100, 1) + " %",
                        Markdown.num(r.brownoutOriginalSuccessRate() * 100, 1) + " %", seconds(r.recoverySeconds()),
                        seconds(r.backlogDrainedSeconds()), r.rejected, r.shed, r.peakQueue);
            }
            storm.end();
            md.paragraph("Peak amplification: the highest ratio of attempts to primary attempts arriving at the "
                    + "server over any 1 s window of the load. Originals served: of the requests offered during the "
                    + "brownout, the share whose original attempt (the first; not a retry or hedge) the server "
                    + "answered 200, whatever became of their retries: the capacity left to originals. Backlog drained: from the capacity's return to the "
                    + "first moment the server's queue holds at most one request (sampled every 10 ms). Time to "
                    + "recover: from the capacity's return until the backlog is drained and, from then on for 2 s, "
                    + "every 250 ms bin has ≥ 99% of its requests succeed and amplification over the last second "
                    + "≤ 1.05. Shed: attempts Tailguard's server side answered with 503 and `Tailguard-Shed` (which "
                    + "Tailguard clients do not retry) instead of running the handler: retries and hedges refused at "
                    + "its limit (concurrency, or time waited in the server's queue), originals that waited past "
                    + "their own bound where one is set, and requests whose caller's tagged time ran out while "
                    + "they waited in the queue. At most " + percent(bound) + " of the requests offered during the "
                    + "brownout can succeed at all: the server's capacity then (" + s.brownoutWorkers
                    + " workers ÷ " + fmt(s.latency.meanMillis()) + " ms ≈ "
                    + Markdown.num(s.brownoutWorkers * 1000 / s.latency.meanMillis(), 0) + " requests/s) ÷ the "
                    + fmt(s.rate) + " requests/s offered; a little more can show here, as requests offered near "
                    + "the brownout's end are served after the capacity returns.");
        }
        if (s.cpuMillis > 0) {
            cpuTable(md, runs);
        }
        String name = s.name.toLowerCase();
        Path curve = out.resolve(name + "-latency.png");
        LabCharts.latencyCurves(s, runs, curve);
        md.image(s.name + " latency by percentile", curve.getFileName().toString());
        if (s.hasBrownout()) {
            Path amp = out.resolve(name + "-amplification.png");
            LabCharts.amplificationOverTime(s, runs, amp);
            md.image(s.name + " amplification over time", amp.getFileName().toString());
            Path success = out.resolve(name + "-success.png");
            LabCharts.successOverTime(s, runs, success);
            md.image(s.name + " success rate over time", success.getFileName().toString());
            Path queue = out.resolve(name + "-queue.png");
            LabCharts.queueOverTime(s, runs, queue);
            md.image(s.name + " server queue over time", queue.getFileName().toString());
        }
        md.paragraph("Tailguard configuration (`benchmarks/src/main/resources/lab/" + name + ".properties`):");
        md.raw("```properties\n" + s.tailguardConfig().trim() + "\n```\n\n");
        if (of(runs, LabResult.Mode.BOTH_ENDS) != null || of(runs, LabResult.Mode.BOTH_ENDS_BOUNDED) != null) {
            md.paragraph("Tailguard's server side, in the server's JVM for the runs with both ends "
                    + "(`benchmarks/src/main/resources/lab/" + name + "-server.properties`):");
            md.raw("```properties\n" + s.serverConfig().trim() + "\n```\n\n");
        }
        if (of(runs, LabResult.Mode.BOTH_ENDS_BOUNDED) != null) {
            md.paragraph("What the run with the originals' queue bounded adds to it "
                    + "(`benchmarks/src/main/resources/lab/" + name + "-server-bounded.properties`):");
            md.raw("```properties\n" + s.boundedServerConfig().trim() + "\n```\n\n");
        }
    }

    /** What each logical request cost the server: handler runs and CPU, against the run without hedging. */
    private static void cpuTable(Markdown md, List<LabResult> runs) {
        LabResult base = of(runs, LabResult.Mode.NO_AGENT);
        Markdown.Table cpu = md.table("-run", "attempts per request", "handler runs per request",
                "answered without the handler", "handler CPU ms per request", "vs no hedging",
                "server process CPU ms per request", "vs no hedging", "p50 ms", "p99 ms");
        for (LabResult r : runs) {
            cpu.row(r.label(), Markdown.num(r.amplification(), 3), Markdown.num(r.handlerRunsPerRequest(), 3),
                    r.attempts - r.handlerRuns, Markdown.num(r.handlerCpuMsPerRequest(), 3),
                    ratio(r.handlerCpuMsPerRequest(), base == null ? Double.NaN : base.handlerCpuMsPerRequest()),
                    Markdown.num(r.processCpuMsPerRequest(), 3),
                    ratio(r.processCpuMsPerRequest(), base == null ? Double.NaN : base.processCpuMsPerRequest()),
                    Markdown.num(r.percentileMs(50), 1), Markdown.num(r.percentileMs(99), 1));
        }
        cpu.end();
        md.paragraph("Attempts per request: what reached the server (the hedges included). Handler runs: how "
                + "often the application's handler ran; the other attempts Tailguard's server side answered "
                + "with a copy of another attempt's response. Handler CPU: the CPU time of the handler's "
                + "thread while it worked. Server process CPU: the CPU time of the server's whole JVM (the JDK's "
                + "server, the agent, the JIT and the garbage collector included) from the end of the warm-up "
                + "until the last response, ÷ the logical requests measured. The seed article reports 9% less "
                + "server CPU at twice the requests with server-side deduplication. A coalesced hedge gets its "
                + "primary's response when the primary finishes: it spares the server the handler's work and "
                + "spares the client nothing, since here the slowness is inside the handler; a hedge that "
                + "arrives after its primary finished (its response still on the way) runs the handler again. "
                + "Here coalescing cannot take the server's CPU below no hedging's: the handler runs at least "
                + "once per request either way, and each hedge still costs its connection, parsing and wait.");
    }

    private static String ratio(double value, double base) {
        return Double.isNaN(value) || Double.isNaN(base) || base == 0 ? "–" : "×" + Markdown.num(value / base, 2);
    }

    private static void targetRows(Markdown.Table targets, Scenario s, List<LabResult> runs) {
        LabResult tg = of(runs, LabResult.Mode.TAILGUARD);
        LabResult base = of(runs, LabResult.Mode.NO_AGENT);
        LabResult naive = of(runs, LabResult.Mode.NAIVE);
        if (tg == null) {
            return;
        }
        switch (s.name) {
            case "T1":
                targets.row("T1", "p99 < 50 ms (no agent: "
                        + (base == null ? "–" : Markdown.num(base.percentileMs(99), 0)) + " ms)",
                        Markdown.num(tg.percentileMs(99), 1) + " ms", Verdict.below(tg.percentileMs(99), 50, false));
                targets.row("T1", "p99.9 < 50 ms", Markdown.num(tg.percentileMs(99.9), 1) + " ms",
                        Verdict.below(tg.percentileMs(99.9), 50, false));
                targets.row("T1", "amplification ≤ 1.06", Markdown.num(tg.amplification(), 3),
                        Verdict.below(tg.amplification(), 1.06, true));
                break;
            case "T2":
                targets.row("T2", "p99 < 200 ms (grpc-java hedging: 2,002 ms; no agent: "
                        + (base == null ? "–" : Markdown.num(base.percentileMs(99), 0)) + " ms)",
                        Markdown.num(tg.percentileMs(99), 1) + " ms", Verdict.below(tg.percentileMs(99), 200, false));
                targets.row("T2", "amplification ≤ 1.25", Markdown.num(tg.amplification(), 3),
                        Verdict.below(tg.amplification(), 1.25, true));
                break;
            case "S1":
                targets.row("S1", "peak amplification ≤ 1.2 (naive: "
                        + (naive == null ? "–" : Markdown.num(naive.peakAmplification(), 2)) + ")",
                        Markdown.num(tg.peakAmplification(), 2), Verdict.below(tg.peakAmplification(), 1.2, true));
                double recovery = tg.recoverySeconds();
                targets.row("S1", "recovery within 1 s of capacity returning (no agent: "
                        + (base == null ? "–" : seconds(base.recoverySeconds())) + "; naive: "
                        + (naive == null ? "–" : seconds(naive.recoverySeconds())) + ")", seconds(recovery),
                        Double.isNaN(recovery) ? Verdict.FALLS_SHORT : Verdict.below(recovery, 1.0, true));
                bothEndsRows(targets, s, tg, of(runs, LabResult.Mode.BOTH_ENDS), of(runs, LabResult.Mode.BOTH_ENDS_BOUNDED));
                break;
            case "S3":
                LabResult coalescing = of(runs, LabResult.Mode.BOTH_ENDS);
                if (coalescing == null || base == null) {
                    break;
                }
                targets.row("S3", "handler runs per request with coalescing ≤ 1.05 (client only: "
                        + Markdown.num(tg.handlerRunsPerRequest(), 3) + ")",
                        Markdown.num(coalescing.handlerRunsPerRequest(), 3),
                        Verdict.below(coalescing.handlerRunsPerRequest(), 1.05, true));
                double cpuRatio = coalescing.processCpuMsPerRequest() / base.processCpuMsPerRequest();
                targets.row("S3", "server CPU per request with coalescing at most no hedging's, at "
                        + Markdown.num(coalescing.amplification(), 2) + "× the attempts (article: −9% at 2×; client only: "
                        + ratio(tg.processCpuMsPerRequest(), base.processCpuMsPerRequest()) + ")",
                        "×" + Markdown.num(cpuRatio, 2), Verdict.below(cpuRatio, 1.0, true));
                break;
            default:
                break;
        }
    }

    /**
     * S1's targets for Tailguard on both ends: recovery within 1 s, judged on the run that bounds
     * the originals' queue too (the run without that bound cannot meet it: its full queue of
     * originals drains at the headroom), and originals served during the brownout above the client
     * only's (the success of originals: the first attempts, which the server side puts
     * before retries and hedges; all requests' success is shown beside it, against what the server
     * could serve at all).
     */
    private static void bothEndsRows(Markdown.Table targets, Scenario s, LabResult tg, LabResult both,
            LabResult bounded) {
        LabResult judged = bounded != null ? bounded : both;
        if (judged == null) {
            return;
        }
        double recovery = judged.recoverySeconds();
        targets.row("S1", label(judged) + ": recovery within 1 s of capacity returning (client only: "
                + seconds(tg.recoverySeconds()) + (judged == bounded && both != null
                        ? "; both ends, originals' queue not bounded: " + seconds(both.recoverySeconds()) : "") + ")",
                seconds(recovery), Double.isNaN(recovery) ? Verdict.FALLS_SHORT : Verdict.below(recovery, 1.0, true));
        for (LabResult r : new LabResult[] {both, bounded}) {
            if (r == null) {
                continue;
            }
            targets.row("S1", label(r) + ": originals served during the brownout above the client only's ("
                    + Markdown.num(tg.brownoutOriginalSuccessRate() * 100, 1) + " %; all requests' success: client only "
                    + Markdown.num(tg.brownoutSuccessRate() * 100, 1) + " %, this run "
                    + Markdown.num(r.brownoutSuccessRate() * 100, 1) + " %, at most "
                    + percent(s.brownoutCapacityBound()) + ")",
                    Markdown.num(r.brownoutOriginalSuccessRate() * 100, 1) + " %",
                    r.brownoutOriginalSuccessRate() > tg.brownoutOriginalSuccessRate() ? Verdict.MEETS : Verdict.FALLS_SHORT);
        }
    }

    private static String label(LabResult r) {
        return r.mode == LabResult.Mode.BOTH_ENDS_BOUNDED ? "both ends, originals' queue bounded" : "both ends";
    }

    private static String percent(double ratio) {
        return Double.isNaN(ratio) ? "–" : Markdown.num(ratio * 100, 1) + " %";
    }

    /** The command that makes this report again. */
    static String reproduce(RunOptions options) {
        String client = options.clients.isEmpty() ? "jdk" : options.clients.get(0);
        return "benchmarks/run lab" + (options.quick ? " --quick" : "")
                + (client.equals("jdk") ? "" : " --clients " + client)
                + (options.labServer.equals("jdk") ? " --server jdk" : "")
                + (options.scenarios.isEmpty() ? "" : " --scenarios " + String.join(",", options.scenarios))
                + (options.modes.isEmpty() ? "" : " --modes " + String.join(",", options.modes).toLowerCase())
                + (options.outArg == null ? "" : " --out " + options.outArg);
    }

    private static String seconds(double s) {
        return Double.isNaN(s) ? "not within the run" : Markdown.num(s, 2) + " s";
    }

    private static LabResult of(List<LabResult> runs, LabResult.Mode mode) {
        for (LabResult r : runs) {
            if (r.mode == mode) {
                return r;
            }
        }
        return null;
    }

    private static String fmt(double v) {
        return LatencyModel.fmt(v);
    }
}
