package io.tailguard.bench.overhead;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.report.Machine;
import io.tailguard.bench.report.Markdown;
import io.tailguard.bench.report.Stats;
import io.tailguard.bench.report.Verdict;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a call no policy matches costs in an application whose other calls the agent handles. The
 * hook alone ({@code hooks}) is measured where every call is unmatched; but the client's code that
 * an unmatched call runs is the code the agent's attempts run too, compiled by the JIT for both,
 * beside the agent's own code and objects. Only a comparison with and without the agent shows what
 * that costs, and two JVMs of the same code differ by more than the 0.2 µs looked for unless only
 * the JVM runs: the clients whose connections are in memory ({@code -memory}) are the default.
 *
 * <p>Each client runs {@link UnmatchedApp} in sets of four JVMs, one after another in an order that
 * rotates from set to set: without the agent, twice (the second, the control, shows what two JVMs
 * of the same code differ by); with the agent and a policy for another host only (every call
 * unmatched); with the agent and a policy for one of the three addresses (retries, tagging, a hedge
 * armed). The figure per JVM is the mean per call of its two unmatched addresses; each agent JVM is
 * compared with the first JVM without the agent of its set, and the interval is taken over the
 * sets (Student's t).
 */
public final class UnmatchedRun {

    /** A policy for another host only: the agent hooks every client, and handles none of these calls. */
    static final String IDLE_CONFIG = String.join("\n",
            "# Every address these calls go to is unmatched: a policy for another host only.",
            "tailguard.policy.other.hosts=api.example.com",
            "tailguard.policy.other.tagging=true",
            "");

    /** One address of three handled: retries, tagging, a hedge armed for 1 s and never firing. */
    static final String MIXED_CONFIG = IDLE_CONFIG + String.join("\n",
            "# One address of three handled; 127.0.0.1 and 127.0.0.5 stay unmatched.",
            "tailguard.policy.hedged.hosts=" + UnmatchedApp.HANDLED,
            "tailguard.policy.hedged.tagging=true",
            "tailguard.policy.hedged.hedge.delay=1s",
            "");

    private static final double TARGET_MICROS = 0.2;

    /** The four kinds of JVM of one set. */
    enum Variant {
        NONE("no agent", null),
        CONTROL("no agent again (control)", null),
        IDLE("agent, every call unmatched", IDLE_CONFIG),
        MIXED("agent, one address of three handled", MIXED_CONFIG);

        final String label;
        /** The agent's configuration, {@code null} without the agent. */
        final String config;

        Variant(String label, String config) {
            this.label = label;
            this.config = config;
        }
    }

    /** The measured quantities, per unmatched call. */
    enum Metric {
        WALL("wall time", "µs"),
        CPU("caller thread CPU", "µs"),
        ALLOC("caller thread allocation", "B");

        final String label;
        final String unit;

        Metric(String label, String unit) {
            this.label = label;
            this.unit = unit;
        }
    }

    private final RunOptions options;
    private final List<String> clients;
    /** Sets of four JVMs per client. */
    private final int sets;
    private final int rounds;
    private final int turns;
    private final int warmup;
    /** client -> variant -> one JVM per set. */
    private final Map<String, Map<Variant, List<Jvm>>> results = new LinkedHashMap<>();

    public UnmatchedRun(RunOptions options) {
        this.options = options;
        this.clients = !options.clients.isEmpty() ? options.clients
                : options.quick ? List.of("apache5-memory") : List.of("okhttp-memory", "apache5-memory", "apache4-memory");
        this.sets = options.forks > 0 ? options.forks : options.quick ? 2 : 10;
        this.rounds = options.rounds > 0 ? options.rounds : options.quick ? 5 : 20;
        this.turns = options.quick ? 500 : 2_000;
        this.warmup = options.quick ? 5_000 : 30_000;
    }

    public Markdown run(Markdown md) throws Exception {
        double loadBefore = Machine.loadAverage();
        long started = System.nanoTime();
        Path dir = options.work.resolve("unmatched");
        Files.createDirectories(dir);
        Map<Variant, Path> configs = new EnumMap<>(Variant.class);
        for (Variant variant : Variant.values()) {
            if (variant.config != null) {
                configs.put(variant, Files.writeString(dir.resolve("tailguard-" + variant.name().toLowerCase(Locale.ROOT)
                        + ".properties"), variant.config));
            }
        }
        Variant[] variants = Variant.values();
        for (int set = 0; set < sets; set++) {
            for (String client : clients) {
                for (int k = 0; k < variants.length; k++) {
                    Variant variant = variants[(k + set) % variants.length];
                    System.out.printf("[unmatched] %s, set %d of %d: %s%n", client, set + 1, sets, variant.label);
                    results.computeIfAbsent(client, c -> new EnumMap<>(Variant.class))
                            .computeIfAbsent(variant, v -> new ArrayList<>())
                            .add(launch(client, configs.get(variant)));
                }
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        md.heading(2, "A call no policy matches, beside calls the agent handles");
        md.paragraph("Each client API calls three loopback addresses taking turns call by call (" + warmup
                + " warm-up turns, then " + rounds + " rounds of " + turns + " turns, the first address of each "
                + "turn rotating; a turn in which a call took over " + PairedApp.SLOW_CALL_MILLIS + " ms is left out "
                + "and counted) in " + sets + " sets of four JVMs, one after another, the order rotating from set "
                + "to set: without the agent, twice (the second, the control, shows what two JVMs of the same code "
                + "differ by); with the agent and a policy for another host only, so that every call is unmatched; "
                + "with the agent and a policy for one of the three addresses (retries, tagging, a hedge armed). "
                + "The figure is the mean per call of the two addresses no policy matches in any of them "
                + "(127.0.0.1 and 127.0.0.5), each JVM against the first JVM without the agent of its own set: "
                + "mean [95% CI] over the sets (Student's t). JVMs of the same code differ by more than the "
                + Markdown.num(TARGET_MICROS, 1) + " µs looked for unless only the JVM runs, so the clients whose "
                + "connections are in memory (`-memory`: each request read and answered by the server's handler "
                + "on the calling thread) are the ones measured by default; their caller CPU and allocation "
                + "include that reading, the same with and without the agent. "
                + String.format("%.1f min; load average %.2f before, %.2f after.", minutes, loadBefore,
                        Machine.loadAverage()));
        md.paragraph("Configuration, agent with one address handled:\n\n```properties\n" + MIXED_CONFIG + "```");
        Markdown.Table own = md.table("-client API", "without the agent: wall µs/call", "caller CPU µs",
                "caller alloc B", "turns held up per 10,000: no agent / control / every call unmatched / one handled");
        for (String client : results.keySet()) {
            Map<Variant, List<Jvm>> byVariant = results.get(client);
            List<Object> cells = new ArrayList<>(List.of(client));
            for (Metric metric : Metric.values()) {
                List<Double> values = new ArrayList<>();
                for (Jvm jvm : byVariant.get(Variant.NONE)) {
                    values.add(jvm.mean(metric));
                }
                cells.add(Markdown.num(Stats.mean(values), metric == Metric.ALLOC ? 0 : 2));
            }
            StringBuilder heldUp = new StringBuilder();
            for (Variant variant : variants) {
                long held = 0;
                long all = 0;
                for (Jvm jvm : byVariant.get(variant)) {
                    held += jvm.heldUpTurns;
                    all += jvm.heldUpTurns + jvm.steadyTurns;
                }
                heldUp.append(heldUp.length() == 0 ? "" : " / ").append(Markdown.num(all == 0 ? 0 : held * 10_000.0 / all, 1));
            }
            cells.add(heldUp.toString());
            own.row(cells.toArray());
        }
        own.end();
        for (Variant variant : List.of(Variant.CONTROL, Variant.IDLE, Variant.MIXED)) {
            md.heading(3, "Added per unmatched call: " + variant.label + " (mean [95% CI] over the sets)");
            Markdown.Table t = md.table("-client API", "wall µs", "caller CPU µs", "caller alloc B", "each set: wall µs");
            for (String client : results.keySet()) {
                List<Object> cells = new ArrayList<>(List.of(client));
                for (Metric metric : Metric.values()) {
                    cells.add(cell(added(results.get(client), variant, metric), metric));
                }
                StringBuilder each = new StringBuilder();
                for (double d : differences(results.get(client), variant, Metric.WALL)) {
                    each.append(each.length() == 0 ? "" : ", ").append(Markdown.num(d, 2));
                }
                cells.add(each.toString());
                t.row(cells.toArray());
            }
            t.end();
        }
        return md;
    }

    /** One row per client, agent variant and reading: an unmatched call adds at most 0.2 µs. */
    public void targetRows(Markdown.Table targets) {
        for (String client : results.keySet()) {
            Map<Variant, List<Jvm>> byVariant = results.get(client);
            for (Variant variant : List.of(Variant.IDLE, Variant.MIXED)) {
                for (Metric metric : List.of(Metric.WALL, Metric.CPU)) {
                    double[] ci = added(byVariant, variant, metric);
                    targets.row(client + ": an unmatched call adds at most " + Markdown.num(TARGET_MICROS, 1) + " µs of "
                            + metric.label + " (" + variant.label + ")", cell(ci, metric) + " µs",
                            verdict(ci, added(byVariant, Variant.CONTROL, metric)));
                }
            }
        }
    }

    /**
     * {@link Verdict#interval}; unless two JVMs without the agent differ by as much as the target,
     * when no JVM comparison can tell it.
     */
    static String verdict(double[] ci, double[] control) {
        if (control[1] <= -TARGET_MICROS || control[2] >= TARGET_MICROS) {
            return "unclear: two JVMs without the agent differ by as much as the target";
        }
        return Verdict.interval(ci, TARGET_MICROS);
    }

    /** Mean [95% CI] over the sets of (variant − no agent) per unmatched call. */
    static double[] added(Map<Variant, List<Jvm>> byVariant, Variant variant, Metric metric) {
        return Stats.meanInterval(differences(byVariant, variant, metric));
    }

    /** Each set's (variant − no agent) per unmatched call. */
    static List<Double> differences(Map<Variant, List<Jvm>> byVariant, Variant variant, Metric metric) {
        List<Jvm> with = byVariant.get(variant);
        List<Jvm> without = byVariant.get(Variant.NONE);
        List<Double> differences = new ArrayList<>();
        for (int set = 0; set < Math.min(with.size(), without.size()); set++) {
            differences.add(with.get(set).mean(metric) - without.get(set).mean(metric));
        }
        return differences;
    }

    private static String cell(double[] ci, Metric metric) {
        return Markdown.interval(ci, metric == Metric.ALLOC ? 0 : 2);
    }

    private Jvm launch(String client, Path config) throws Exception {
        List<String> command = new ArrayList<>(List.of(options.java, "-Xms512m", "-Xmx512m"));
        if (config != null) {
            command.add("-javaagent:" + options.agentJar.toAbsolutePath() + "=" + config.toAbsolutePath());
        }
        command.addAll(List.of("-cp", RunOptions.ownJar().toString(), UnmatchedApp.class.getName(), client,
                Integer.toString(rounds), Integer.toString(turns), Integer.toString(warmup)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(line);
            }
        }
        Jvm jvm = Jvm.parse(lines);
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0 || jvm.rounds() != rounds) {
            process.destroyForcibly();
            throw new IllegalStateException("the unmatched run of " + client + " failed: " + String.join("\n", lines));
        }
        return jvm;
    }

    /** One JVM's figures: per round, each unmatched address's per-call means. */
    static final class Jvm {
        /** metric -> per round, the mean per call of the two unmatched addresses. */
        private final Map<Metric, List<Double>> perRound = new EnumMap<>(Metric.class);
        long steadyTurns;
        long heldUpTurns;

        private Jvm() {
            for (Metric metric : Metric.values()) {
                perRound.put(metric, new ArrayList<>());
            }
        }

        /** From {@link UnmatchedApp}'s output: {@code round <round> <address> <calls> <wallNs> <cpuNs> <allocB> <heldUp>}. */
        static Jvm parse(List<String> lines) {
            Jvm jvm = new Jvm();
            Map<String, double[]> round = new LinkedHashMap<>();
            String current = null;
            for (String line : lines) {
                String[] f = line.split(" ");
                if (!f[0].equals("round") || f.length != 8) {
                    continue;
                }
                if (!f[1].equals(current)) {
                    jvm.add(round);
                    round.clear();
                    current = f[1];
                }
                double calls = Double.parseDouble(f[3]);
                round.put(f[2], new double[] {Long.parseLong(f[4]) / calls / 1e3, Long.parseLong(f[5]) / calls / 1e3,
                        Long.parseLong(f[6]) / calls, calls, Long.parseLong(f[7])});
            }
            jvm.add(round);
            return jvm;
        }

        private void add(Map<String, double[]> round) {
            double[] unmatched = round.get(UnmatchedApp.UNMATCHED);
            double[] control = round.get(UnmatchedApp.CONTROL);
            if (unmatched == null || control == null) {
                return;
            }
            for (Metric metric : Metric.values()) {
                perRound.get(metric).add((unmatched[metric.ordinal()] + control[metric.ordinal()]) / 2);
            }
            steadyTurns += (long) unmatched[3];
            heldUpTurns += (long) unmatched[4];
        }

        int rounds() {
            return perRound.get(Metric.WALL).size();
        }

        /** The mean per unmatched call over the JVM's rounds. */
        double mean(Metric metric) {
            return Stats.mean(perRound.get(metric));
        }
    }
}
