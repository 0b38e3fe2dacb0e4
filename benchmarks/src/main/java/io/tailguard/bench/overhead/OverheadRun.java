package io.tailguard.bench.overhead;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.clients.BenchClients;
import io.tailguard.bench.report.Machine;
import io.tailguard.bench.report.Markdown;
import io.tailguard.bench.report.Stats;
import io.tailguard.bench.report.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The per-call overhead: every benchmark in a JVM without the agent and in JVMs with it (one per
 * {@link Variant}), in rounds. Each round runs every variant once, in an order that rotates from
 * round to round, so that a machine that gets busier or quieter during the run shifts all variants
 * alike; the reports give per-round ratios' medians and their spread rather than absolute times.
 */
public final class OverheadRun {

    static final List<String> SERVERS = List.of("fast", "mockwebserver");
    private static final String HOOK = "hook";
    private static final String ENGINE = "engine";
    private static final String SEND_PATHS = "jdk send paths";
    /** What a call no policy matches may cost at most, in µs. */
    private static final double UNMATCHED_LIMIT_US = 0.2;

    private final RunOptions options;
    private final int rounds;
    private final int warmups;
    private final int iterations;
    private final List<String> clients;
    /** "client/server" or "hook" -> variant -> one sample per round. */
    private final Map<String, Map<Variant, List<Sample>>> samples = new LinkedHashMap<>();
    private final Map<String, Boolean> handled = new LinkedHashMap<>();
    /** {@link ThreadsPerCall}'s answer: "key=value ..." pairs. */
    private String threadsPerCall;

    public OverheadRun(RunOptions options) {
        this.options = options;
        this.rounds = options.rounds > 0 ? options.rounds : options.quick ? 2 : 3;
        this.warmups = options.quick ? 3 : 5;
        this.iterations = options.quick ? 4 : 10;
        this.clients = !options.clients.isEmpty() ? options.clients
                : options.quick ? List.of("jdk") : BenchClients.blocking();
    }

    /** Runs everything and returns the report section. */
    public Markdown run(Markdown report) throws Exception {
        double loadBefore = Machine.loadAverage();
        long started = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            Variant[] all = Variant.values();
            for (int i = 0; i < all.length; i++) {
                Variant variant = all[(i + round) % all.length];
                System.out.printf("[overhead] round %d/%d: %s (%s)%n", round + 1, rounds, variant.label(), clients);
                collect(variant, runJmh(variant, round));
            }
            if (clients.contains("jdk")) {
                System.out.printf("[overhead] round %d/%d: JDK send paths, no agent%n", round + 1, rounds);
                collect(Variant.NO_AGENT, runSendPaths(round));
            }
        }
        readProbes();
        threadsPerCall = clients.contains("jdk") ? countThreadsPerCall() : null;
        double minutes = (System.nanoTime() - started) / 60e9;
        return write(report, loadBefore, Machine.loadAverage(), minutes);
    }

    private Collection<RunResult> runJmh(Variant variant, int round) throws Exception {
        Path work = options.work.resolve("overhead");
        Files.createDirectories(work);
        List<String> jvm = new ArrayList<>(variant.jvmOptions(options.agentJar, work));
        jvm.add("-Dbench.probe.dir=" + work.resolve("probes").toAbsolutePath());
        ChainedOptionsBuilder builder = jmh(work, round, variant.name().toLowerCase())
                .include(Pattern.quote(ClientCallBenchmark.class.getName()) + "\\.call$")
                .param("client", clients.toArray(new String[0]))
                .param("server", SERVERS.toArray(new String[0]))
                .jvmArgsAppend(jvm.toArray(new String[0]))
                .addProfiler(GCProfiler.class);
        if (variant == Variant.NO_AGENT || variant == Variant.UNMATCHED) {
            builder.include(Pattern.quote(HookBenchmark.class.getName()) + "\\.unmatchedHook$");
            builder.param("hook", "jdk"); // every client API's hook: benchmarks/run hooks
        }
        if (variant == Variant.NO_AGENT) {
            builder.include(Pattern.quote(EngineBenchmark.class.getName()) + "\\.handledCall$");
        }
        return new Runner(builder.build()).run();
    }

    /** Runs {@link ThreadsPerCall} on the JVM the benchmarks fork. */
    private String countThreadsPerCall() throws Exception {
        Process p = new ProcessBuilder(options.java, "-cp", RunOptions.ownJar().toString(),
                ThreadsPerCall.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }

    /** The JDK client's own send paths, without the agent: why a handled call costs what it costs. */
    private Collection<RunResult> runSendPaths(int round) throws Exception {
        Path work = options.work.resolve("overhead");
        return new Runner(jmh(work, round, "send-paths")
                .include(Pattern.quote(JdkSendPathBenchmark.class.getName()) + "\\.")
                .jvmArgsAppend("--add-opens", "java.net.http/jdk.internal.net.http=ALL-UNNAMED")
                .build()).run();
    }

    private ChainedOptionsBuilder jmh(Path work, int round, String name) {
        return jmh(options.java, warmups, iterations, work.resolve("jmh-round" + (round + 1) + "-" + name + ".log"));
    }

    /** What every JMH run of the overhead shares: one fork, 1 s iterations, the JVM, a log file. */
    static ChainedOptionsBuilder jmh(String java, int warmups, int iterations, Path log) {
        return new OptionsBuilder()
                .forks(1)
                .warmupIterations(warmups)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(1))
                .jvm(java)
                .shouldFailOnError(true)
                .output(log.toString());
    }

    private void collect(Variant variant, Collection<RunResult> results) {
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            String key = benchmark.endsWith("unmatchedHook") ? HOOK
                    : benchmark.endsWith("handledCall") ? ENGINE + "/" + result.getParams().getParam("policy")
                    : benchmark.contains(JdkSendPathBenchmark.class.getSimpleName()) ? SEND_PATHS + "/" + method
                    : result.getParams().getParam("client") + "/" + result.getParams().getParam("server");
            Result<?> primary = result.getPrimaryResult();
            double alloc = allocationPerCall(result);
            samples.computeIfAbsent(key, k -> new EnumMap<>(Variant.class))
                    .computeIfAbsent(variant, v -> new ArrayList<>())
                    .add(new Sample(primary.getScore(), primary.getScoreError(), alloc));
        }
    }

    /** JMH's gc profiler's bytes per operation, or NaN where it did not run. */
    @SuppressWarnings("rawtypes") // JMH's getSecondaryResults() is a Map<String, Result> of raw Results
    static double allocationPerCall(RunResult result) {
        for (Map.Entry<String, Result> e : result.getSecondaryResults().entrySet()) {
            if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                return e.getValue().getScore();
            }
        }
        return Double.NaN;
    }

    private void readProbes() throws IOException {
        Path probes = options.work.resolve("overhead/probes");
        for (String client : clients) {
            for (Variant variant : List.of(Variant.UNMATCHED, Variant.ACTIVE, Variant.HEDGING)) {
                Path file = probes.resolve(variant.name() + "-" + client + "-fast");
                if (Files.exists(file)) {
                    handled.put(variant.name() + "/" + client, Boolean.parseBoolean(Files.readString(file).trim()));
                }
            }
        }
    }

    // --- the report

    private Markdown write(Markdown md, double loadBefore, double loadAfter, double minutes) {
        md.heading(2, "Per-call overhead (JMH)");
        md.paragraph("One blocking GET with the body read, single thread, " + warmups + " × 1 s warm-up and "
                + iterations + " × 1 s measurement per fork, one fork per variant per round, " + rounds
                + " rounds in rotating order (" + Markdown.num(minutes, 1) + " min; load average "
                + Markdown.num(loadBefore, 2) + " before, " + Markdown.num(loadAfter, 2) + " after). "
                + "`fast` is a minimal in-process HTTP/1.1 server; `mockwebserver` is OkHttp's MockWebServer "
                + "in the same JVM. Times are medians over rounds; ratios are computed per round (with agent ÷ "
                + "without, same round) and the median is shown with the range over rounds.");
        Markdown.Table times = md.table("-client", "-server", "no agent µs/call", "unmatched host", "retry + tagging",
                "+ hedging (never firing)");
        Markdown.Table added = md.table("-client", "-server", "unmatched µs/call", "retry + tagging µs/call",
                "+ hedging µs/call");
        Markdown.Table alloc = md.table("-client", "-server", "no agent B/call", "unmatched +B", "retry + tagging +B",
                "+ hedging +B");
        for (String key : samples.keySet()) {
            if (key.equals(HOOK) || key.startsWith(SEND_PATHS) || key.startsWith(ENGINE)) {
                continue;
            }
            String[] cs = key.split("/");
            String client = cs[0] + handledNote(cs[0]);
            Map<Variant, List<Sample>> byVariant = samples.get(key);
            List<Double> base = scores(byVariant.get(Variant.NO_AGENT));
            times.row(client, cs[1], Markdown.num(Stats.median(base), 1),
                    ratioCell(key, Variant.UNMATCHED), ratioCell(key, Variant.ACTIVE), ratioCell(key, Variant.HEDGING));
            added.row(client, cs[1], deltaCell(key, Variant.UNMATCHED), deltaCell(key, Variant.ACTIVE),
                    deltaCell(key, Variant.HEDGING));
            alloc.row(client, cs[1], Markdown.num(Stats.median(allocs(byVariant.get(Variant.NO_AGENT))), 0),
                    allocDelta(key, Variant.UNMATCHED), allocDelta(key, Variant.ACTIVE), allocDelta(key, Variant.HEDGING));
        }
        md.heading(3, "Time per call, and with agent ÷ without");
        times.end();
        md.heading(3, "Added per call (with agent − without, same round; median [range])");
        added.end();
        md.heading(3, "Allocation per call (JMH gc profiler)");
        alloc.end();
        if (!clients.stream().allMatch(this::handledBy)) {
            md.paragraph("† The agent of this build does not intercept this client yet (no tagging header "
                    + "reached the server with tagging on): its numbers are the cost of an agent that passes "
                    + "it by, not of handling its calls.");
        }
        Map<Variant, List<Sample>> hook = samples.get(HOOK);
        if (hook != null) {
            md.heading(3, "The hook alone, unmatched host");
            md.paragraph("What the agent's prologue adds to `HttpClient.send` when no policy matches the host "
                    + "(argument array, dispatcher, policy lookup), measured without a round trip around it.");
            md.table("-JVM", "ns/call (median [range])", "B/call")
                    .row("no agent (dispatcher without interceptor)", rangeCell(scores(hook.get(Variant.NO_AGENT)), 1),
                            Markdown.num(Stats.median(allocs(hook.get(Variant.NO_AGENT))), 0))
                    .row("agent, unmatched host", rangeCell(scores(hook.get(Variant.UNMATCHED)), 1),
                            Markdown.num(Stats.median(allocs(hook.get(Variant.UNMATCHED))), 0))
                    .end();
        }
        if (samples.containsKey(ENGINE + "/retry-tagging")) {
            md.heading(3, "The engine alone, per handled call");
            md.paragraph("What the agent's engine costs for one handled call with nothing failing, without a "
                    + "client or a network around it (round trips here vary by far more than the target): "
                    + "policy lookup, execution, budget deposit, tagging headers with a generated request id, "
                    + "one attempt; with hedging configured, arming and cancelling the hedge timer too.");
            Markdown.Table engineTable = md.table("-policy", "ns/call (median [range])", "B/call");
            for (String p : List.of("retry-tagging", "hedging")) {
                Map<Variant, List<Sample>> m = samples.get(ENGINE + "/" + p);
                if (m != null) {
                    engineTable.row(p.equals("hedging") ? "retry + tagging + hedging (never firing)" : "retry + tagging",
                            rangeCell(scores(m.get(Variant.NO_AGENT)), 0),
                            Markdown.num(Stats.median(allocs(m.get(Variant.NO_AGENT))), 0));
                }
            }
            engineTable.end();
        }
        if (samples.containsKey(SEND_PATHS + "/send")) {
            List<Double> send = scores(samples.get(SEND_PATHS + "/send").get(Variant.NO_AGENT));
            md.heading(3, "Where a handled JDK call's time goes (no agent)");
            md.paragraph("Why the attempts of a handled `send` are themselves `send` calls on the caller's "
                    + "thread, and only those of `sendAsync` use `sendAsync`. The same GET to the `fast` server, "
                    + "three ways, without any agent: "
                    + "`send`; `sendAsync(...).get()`, which schedules the exchange on the client's executor and "
                    + "hands the result over through the common pool; and the client's private four-argument "
                    + "`sendAsync` with no executor, which is what `send` itself calls (reached here with "
                    + "`--add-opens`).");
            Markdown.Table paths = md.table("-path", "µs/call (median [range])", "÷ send");
            for (String method : List.of("send", "sendAsyncGet", "inlineSendAsyncGet")) {
                Map<Variant, List<Sample>> m = samples.get(SEND_PATHS + "/" + method);
                if (m == null) {
                    continue;
                }
                List<Double> t = scores(m.get(Variant.NO_AGENT));
                paths.row("`" + method + "`", rangeCell(t, 1), "×" + Markdown.num(Stats.median(t) / Stats.median(send), 2));
            }
            paths.end();
            if (threadsPerCall != null) {
                md.paragraph("Threads the JDK client starts per " + field(threadsPerCall, "calls") + " calls "
                        + "(" + field(threadsPerCall, "cpus") + " CPUs, common pool parallelism "
                        + field(threadsPerCall, "commonPoolParallelism") + ", Java " + field(threadsPerCall, "java")
                        + "): `send` " + field(threadsPerCall, "send") + ", `sendAsync(...).get()` "
                        + field(threadsPerCall, "sendAsync") + ". (`sendAsync` completes through "
                        + "`CompletableFuture`'s default executor, which on JDK 17 starts a thread per task where the "
                        + "common pool's parallelism is 1, i.e. on two CPUs or fewer.)");
            }
        }
        return md;
    }

    /** The targets this part measures, as rows for the summary table. */
    public void targetRows(Markdown.Table targets) {
        Map<Variant, List<Sample>> hook = samples.get(HOOK);
        if (hook != null && hook.containsKey(Variant.UNMATCHED)) {
            List<Double> ns = scores(hook.get(Variant.UNMATCHED));
            targets.row("unmatched host ≤ 0.2 µs per call (hook alone)", rangeCell(ns, 0) + " ns",
                    Verdict.below(ns, UNMATCHED_LIMIT_US * 1000));
        }
        for (String p : List.of("retry-tagging", "hedging")) {
            Map<Variant, List<Sample>> m = samples.get(ENGINE + "/" + p);
            if (m != null) {
                List<Double> us = new ArrayList<>();
                for (double ns : scores(m.get(Variant.NO_AGENT))) {
                    us.add(ns / 1000);
                }
                targets.row((p.equals("hedging") ? Variant.HEDGING : Variant.ACTIVE).label()
                        + " < 5 µs per call (engine alone)", rangeCell(us, 2) + " µs", Verdict.below(us, 5.0));
            }
        }
        for (String key : samples.keySet()) {
            if (key.equals(HOOK) || key.startsWith(SEND_PATHS) || key.startsWith(ENGINE)
                    || !handledBy(key.split("/")[0])) {
                continue;
            }
            targets.row("unmatched host ≤ 0.2 µs per call (" + key + ", end to end)",
                    deltaCell(key, Variant.UNMATCHED) + " µs",
                    Verdict.below(deltas(key, Variant.UNMATCHED), UNMATCHED_LIMIT_US));
            for (Variant v : List.of(Variant.ACTIVE, Variant.HEDGING)) {
                targets.row(v.label() + " < 5 µs per call (" + key + ")", deltaCell(key, v) + " µs",
                        Verdict.below(deltas(key, v), 5.0));
                List<Double> percent = new ArrayList<>();
                for (double r : ratios(key, v)) {
                    percent.add((r - 1) * 100);
                }
                targets.row(v.label() + " < 3% of a loopback round trip (" + key + ")",
                        rangeCell(percent, 1) + " %", Verdict.below(percent, 3.0));
            }
        }
    }

    private boolean handledBy(String client) {
        return !Boolean.FALSE.equals(handled.get(Variant.ACTIVE.name() + "/" + client));
    }

    private String handledNote(String client) {
        return handledBy(client) ? "" : " †";
    }

    private String ratioCell(String key, Variant v) {
        List<Double> r = ratios(key, v);
        if (r.isEmpty()) {
            return "–";
        }
        return Markdown.num(Stats.median(scores(samples.get(key).get(v))), 1) + " µs, ×"
                + Markdown.num(Stats.median(r), 3) + " [" + Markdown.num(Stats.min(r), 3) + "–"
                + Markdown.num(Stats.max(r), 3) + "]";
    }

    private String deltaCell(String key, Variant v) {
        return rangeCell(deltas(key, v), 2);
    }

    private String allocDelta(String key, Variant v) {
        List<Sample> with = samples.get(key).get(v);
        List<Sample> without = samples.get(key).get(Variant.NO_AGENT);
        if (with == null || without == null) {
            return "–";
        }
        return Markdown.num(Stats.median(allocs(with)) - Stats.median(allocs(without)), 0);
    }

    private static String field(String pairs, String key) {
        for (String pair : pairs.split(" ")) {
            if (pair.startsWith(key + "=")) {
                return pair.substring(key.length() + 1);
            }
        }
        return "?";
    }

    static String rangeCell(List<Double> values, int decimals) {
        if (values == null || values.isEmpty()) {
            return "–";
        }
        return Markdown.num(Stats.median(values), decimals) + " [" + Markdown.num(Stats.min(values), decimals) + " – "
                + Markdown.num(Stats.max(values), decimals) + "]";
    }

    /** Per-round ratios with ÷ without. */
    private List<Double> ratios(String key, Variant v) {
        return perRound(key, v, (with, without) -> with / without);
    }

    /** Per-round differences with − without, in the benchmark's unit. */
    private List<Double> deltas(String key, Variant v) {
        return perRound(key, v, (with, without) -> with - without);
    }

    /** Compares each round's score with the agent to the same round's score without it. */
    private List<Double> perRound(String key, Variant v, DoubleBinaryOperator compare) {
        List<Double> out = new ArrayList<>();
        List<Sample> with = samples.get(key).get(v);
        List<Sample> without = samples.get(key).get(Variant.NO_AGENT);
        if (with == null || without == null) {
            return out;
        }
        for (int i = 0; i < Math.min(with.size(), without.size()); i++) {
            out.add(compare.applyAsDouble(with.get(i).score, without.get(i).score));
        }
        return out;
    }

    private static List<Double> scores(List<Sample> list) {
        return each(list, s -> s.score);
    }

    private static List<Double> allocs(List<Sample> list) {
        return each(list, s -> s.allocBytes);
    }

    private static List<Double> each(List<Sample> list, ToDoubleFunction<Sample> value) {
        List<Double> out = new ArrayList<>();
        if (list != null) {
            for (Sample s : list) {
                out.add(value.applyAsDouble(s));
            }
        }
        return out;
    }

    /** One fork's result. */
    static final class Sample {
        final double score;
        final double error;
        final double allocBytes;

        Sample(double score, double error, double allocBytes) {
            this.score = score;
            this.error = error;
            this.allocBytes = allocBytes;
        }
    }
}
