package io.tailguard.bench.overhead;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.report.Markdown;
import io.tailguard.bench.report.Stats;
import io.tailguard.bench.report.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;

/**
 * What a call no policy matches costs, for every client API: {@link HookBenchmark} in a JVM without
 * the agent and in one with a policy for another host only, in rounds whose order alternates. The
 * cost of such a call is the hook's alone (nothing else of the agent runs for it), and a round trip
 * around it would hide it many times over, so it is measured without one.
 */
public final class HookRun {

    /** What a call no policy matches may cost at most, in ns. */
    static final double UNMATCHED_LIMIT_NS = 200;
    private static final List<Variant> VARIANTS = List.of(Variant.NO_AGENT, Variant.UNMATCHED);

    private final RunOptions options;
    private final int rounds;
    private final int warmups;
    private final int iterations;
    /** client API -> variant -> {ns, B} per round. */
    private final Map<String, Map<Variant, List<double[]>>> samples = new LinkedHashMap<>();

    public HookRun(RunOptions options) {
        this.options = options;
        this.rounds = options.rounds > 0 ? options.rounds : options.quick ? 1 : 3;
        this.warmups = options.quick ? 2 : 3;
        this.iterations = options.quick ? 3 : 5;
    }

    public Markdown run(Markdown md) throws Exception {
        long started = System.nanoTime();
        Path work = options.work.resolve("hooks");
        Files.createDirectories(work);
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < VARIANTS.size(); i++) {
                Variant variant = VARIANTS.get((i + round) % VARIANTS.size());
                System.out.printf("[hooks] round %d/%d: %s%n", round + 1, rounds, variant.label());
                ChainedOptionsBuilder builder = OverheadRun.jmh(options.java, warmups, iterations,
                        work.resolve("jmh-round" + (round + 1) + "-" + variant.name().toLowerCase() + ".log"))
                        .include(Pattern.quote(HookBenchmark.class.getName()) + "\\.unmatchedHook$")
                        .jvmArgsAppend(variant.jvmOptions(options.agentJar, work).toArray(new String[0]))
                        .addProfiler(GCProfiler.class);
                if (!options.clients.isEmpty()) {
                    builder.param("hook", options.clients.toArray(new String[0]));
                }
                for (RunResult result : new Runner(builder.build()).run()) {
                    collect(variant, result);
                }
            }
        }
        return write(md, (System.nanoTime() - started) / 60e9);
    }

    private void collect(Variant variant, RunResult result) {
        double alloc = OverheadRun.allocationPerCall(result);
        samples.computeIfAbsent(result.getParams().getParam("hook"), k -> new EnumMap<>(Variant.class))
                .computeIfAbsent(variant, v -> new ArrayList<>())
                .add(new double[] {result.getPrimaryResult().getScore(), alloc});
    }

    private Markdown write(Markdown md, double minutes) {
        md.heading(2, "A call no policy matches: the hook alone");
        md.paragraph("For each client API, the intercepted method's prologue with the receiver and arguments "
                + "the client passes it, for a host no policy matches: the argument array, the dispatcher, the "
                + "interceptor's checks and its policy lookup (`HookBenchmark`). Without the agent the same call "
                + "reaches a dispatcher with no interceptor, which answers at once (without the agent there is no "
                + "prologue at all: the argument array, where the JIT keeps it, is in both columns, and in the "
                + "agent's bytes per call). One JVM per variant per round, " + warmups + " × 1 s "
                + "warm-up and " + iterations + " × 1 s measurement, " + rounds + " rounds in alternating order ("
                + Markdown.num(minutes, 1) + " min). Figures are medians over rounds with their range; the "
                + "verdict takes the agent's whole time per call, not only what it adds.");
        Markdown.Table table = md.table("-client API", "no agent ns/call", "agent, unmatched ns/call",
                "added ns/call", "agent B/call", "added B/call", "≤ 200 ns");
        for (Map.Entry<String, Map<Variant, List<double[]>>> e : samples.entrySet()) {
            List<Double> without = column(e.getValue().get(Variant.NO_AGENT), 0);
            List<Double> with = column(e.getValue().get(Variant.UNMATCHED), 0);
            List<Double> added = Stats.differences(with, without);
            double bytes = Stats.median(column(e.getValue().get(Variant.UNMATCHED), 1));
            double addedBytes = bytes - Stats.median(column(e.getValue().get(Variant.NO_AGENT), 1));
            table.row("`" + e.getKey() + "`", range(without), range(with), range(added), Markdown.num(bytes, 0),
                    Markdown.num(addedBytes, 0), Verdict.below(with, UNMATCHED_LIMIT_NS));
        }
        table.end();
        return md;
    }

    private static List<Double> column(List<double[]> rows, int index) {
        List<Double> values = new ArrayList<>();
        if (rows != null) {
            for (double[] row : rows) {
                values.add(row[index]);
            }
        }
        return values;
    }

    private static String range(List<Double> values) {
        if (values.isEmpty()) {
            return "–";
        }
        return Markdown.num(Stats.median(values), 1) + " [" + Markdown.num(Stats.min(values), 1) + " – "
                + Markdown.num(Stats.max(values), 1) + "]";
    }
}
