package io.tailguard.bench.overhead;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.clients.BenchClients;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What handling a call costs, measured paired inside one JVM: for each client API one application
 * with the agent calls six loopback addresses ({@link Arm}), taking turns call by call, and each
 * handled arm is compared with the unmatched arm of the same round. The arms share six servers,
 * each arm calling a different one from round to round ({@link PairedApp}), so that what one server
 * instance costs more than another cancels between arms. A forked
 * comparison with and without the agent (the JMH part of {@code overhead}) carries the noise of two
 * JVMs, their JIT and their heap layout, which on a small machine is larger than the 5 µs being
 * looked for; inside one JVM the only difference between two arms is what the agent does.
 *
 * <p>Each client API runs in several JVMs, one after another: two JVMs of the same code differ by
 * more than one JVM's rounds show (the JIT's decisions, where the heap and the threads land), so
 * an interval over one JVM's rounds did not cover a second run. Reported per arm, as the mean over
 * JVMs of each JVM's mean over its rounds of (arm − unmatched, same round) per call, with a 95%
 * confidence interval over the JVMs (Student's t): wall time, read also steady (without the turns
 * in which a call was held up for milliseconds, {@link PairedApp}), the calling thread's CPU time
 * and allocation, and the process's CPU time (which includes the client's own threads, and the
 * in-process server, whose work is the same for every arm). With one JVM ({@code --forks 1}) the
 * interval is over its rounds.
 */
public final class PairedRun {

    /**
     * The configurations of one JVM, one loopback address each. {@link #CONTROL} is unmatched too:
     * its difference from {@link #UNMATCHED} is what the arms differ by without the agent doing
     * anything (other connections, their place in the client's pool), the floor under every other
     * figure.
     */
    enum Arm {
        UNMATCHED("127.0.0.1", "unmatched host"),
        CONTROL("127.0.0.5", "control: unmatched too"),
        RETRY("127.0.0.2", "retry"),
        TAGGING("127.0.0.3", "retry + tagging"),
        HEDGING("127.0.0.4", "+ hedging armed"),
        /**
         * Unmatched, the application setting the three tags itself (a request id of the generated
         * ids' length): what the client and the server spend on carrying them, with no agent.
         */
        APP_TAGS("127.0.0.6", "unmatched, tags set by the application", "X-Request-ID",
                "0f8fad5b-d9cb-469f-a165-70867728950e", "X-Attempt", "1", "X-Is-Hedge", "false");

        final String address;
        final String label;
        /** Headers the application sets on each call: name, value, ... */
        final String[] headers;

        Arm(String address, String label, String... headers) {
            this.address = address;
            this.label = label;
            this.headers = headers;
        }

        /** Whether the server should see tags on this arm's requests. */
        boolean tagged() {
            return this == TAGGING || this == HEDGING || this == APP_TAGS;
        }
    }

    static final String CONFIG = String.join("\n",
            "# One JVM, six loopback addresses: 127.0.0.1, 127.0.0.5 and 127.0.0.6 are matched by no policy (a",
            "# policy for another host exists, as in a real configuration; on 127.0.0.6 the application sets",
            "# the three tags itself); each of the others adds one feature.",
            "tailguard.policy.other.hosts=api.example.com",
            "tailguard.policy.other.tagging=true",
            "# retries with their defaults; nothing fails, so no retry is sent",
            "tailguard.policy.retry.hosts=127.0.0.2",
            "tailguard.policy.tagged.hosts=127.0.0.3",
            "tailguard.policy.tagged.tagging=true",
            "# a hedge armed for every call after 1 s and cancelled when the answer comes, microseconds later",
            "tailguard.policy.hedged.hosts=127.0.0.4",
            "tailguard.policy.hedged.tagging=true",
            "tailguard.policy.hedged.hedge.delay=1s",
            "");

    /** The measured quantities of one block, per call. */
    enum Metric {
        WALL("wall time", "µs", 1e-3),
        /** Wall time without the turns in which a call was held up for milliseconds ({@link PairedApp#SLOW_CALL_NANOS}). */
        STEADY_WALL("steady wall time (turns with a call over " + PairedApp.SLOW_CALL_MILLIS + " ms left out)", "µs",
                1e-3),
        CPU("caller thread CPU", "µs", 1e-3),
        PROCESS("process CPU (all threads)", "µs", 1e-3),
        ALLOC("caller thread allocation", "B", 1);

        final String label;
        final String unit;
        final double scale;

        Metric(String label, String unit, double scale) {
            this.label = label;
            this.unit = unit;
            this.scale = scale;
        }
    }

    /** Targets of a handled call: 5 µs of caller CPU and of wall time (both readings), 1 KB of allocation. */
    private static final Map<Metric, Double> TARGETS = new EnumMap<>(Map.of(Metric.WALL, 5.0, Metric.STEADY_WALL, 5.0,
            Metric.CPU, 5.0, Metric.ALLOC, 1024.0));

    private final RunOptions options;
    private final List<String> clients;
    /** JVMs per client API. */
    private final int forks;
    /** Rounds per JVM: two cycles of the arms' turns over the six servers. */
    private final int rounds;
    private final int block;
    private final int warmup;
    /** client -> one entry per JVM: arm -> metric -> per-call value for each round. */
    private final Map<String, List<Map<Arm, Map<Metric, List<Double>>>>> results = new LinkedHashMap<>();
    private final Map<String, String> notHandled = new LinkedHashMap<>();
    /** Per client API: the most connections one JVM's servers accepted. */
    private final Map<String, Integer> connections = new LinkedHashMap<>();
    /** Per client API and arm, over every JVM: calls over {@link PairedApp#SLOW_CALL_NANOS}, and calls. */
    private final Map<String, Map<Arm, long[]>> slowCalls = new LinkedHashMap<>();

    public PairedRun(RunOptions options) {
        this.options = options;
        this.clients = !options.clients.isEmpty() ? options.clients
                : options.quick ? List.of("jdk", "okhttp") : BenchClients.available();
        this.forks = options.forks > 0 ? options.forks : options.quick ? 1 : 5;
        this.rounds = options.rounds > 0 ? options.rounds : options.quick ? 15 : 12;
        this.block = options.quick ? 300 : 500;
        this.warmup = options.quick ? 3_000 : 10_000;
    }

    public Markdown run(Markdown md) throws Exception {
        double loadBefore = Machine.loadAverage();
        long started = System.nanoTime();
        Path config = options.work.resolve("paired").resolve("tailguard-paired.properties");
        Files.createDirectories(config.getParent());
        Files.writeString(config, CONFIG);
        // The JVMs of one client API are spread over the run, the clients taking turns, so that
        // what the machine does for a while falls on different clients rather than on one.
        for (int fork = 1; fork <= forks; fork++) {
            for (String client : clients) {
                System.out.printf("[paired] %s, JVM %d of %d: %d rounds of %d calls per arm%n", client, fork, forks,
                        rounds, block);
                results.computeIfAbsent(client, c -> new ArrayList<>()).add(measure(client, config));
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        md.heading(2, "Per-call overhead, paired in one JVM");
        md.paragraph("Each client API in an application JVM with the agent (" + forks + (forks == 1 ? " JVM" : " JVMs, one after another")
                + "), calling six loopback addresses "
                + "served by six in-process servers (`fast`: they do next to nothing) that the addresses share, "
                + "each address calling a different server from round to round so that the servers' differences "
                + "cancel between arms: two addresses no policy matches (the second, "
                + "the control, shows what two arms differ by when the agent does nothing for either), three "
                + "matched by a policy with retries, with retries and tagging, and with a hedge armed as well (1 s, "
                + "never firing), and one unmatched on which the application sets the three tags itself (what "
                + "carrying them costs the client and the server, with no agent). In each JVM, after " + warmup
                + " warm-up calls per arm, " + rounds + " rounds: in each, "
                + block + " turns in which every arm makes one call (the first arm rotating), each call's wall "
                + "time, caller CPU and allocation added to its arm's; then a block of " + block + " calls per arm, in "
                + "rotating order, for the process's CPU time (counted in 10 ms ticks, too coarse for one call). "
                + (forks == 1 ? "Each figure is the mean over rounds of (arm − unmatched, same round) per call, with "
                        + "its 95% confidence interval. "
                        : "Each figure is the mean over the JVMs of each JVM's mean over its rounds of (arm − unmatched, "
                        + "same round) per call, with its 95% confidence interval over the " + forks + " JVMs (Student's t): "
                        + "JVMs of the same code differ by more than one JVM's rounds show. ")
                + "Caller CPU and "
                + "allocation are the calling thread's (for `-async` and `-enqueue` most of the client's work runs "
                + "on its own threads: see process CPU, which also counts the server's work, the same for every "
                + "arm). "
                + (clients.stream().anyMatch(PairedRun::inMemory) ? "The `-memory` clients' connections "
                        + "are in memory: their requests are read and answered by the servers' handler on the calling "
                        + "thread, with no socket, so their caller CPU and allocation include the server's reading "
                        + "of each request (no allocation target is judged for them). " : "")
                + String.format("%.1f min; load average %.2f before, %.2f after.", minutes, loadBefore,
                        Machine.loadAverage()));
        md.paragraph("Configuration:\n\n```properties\n" + CONFIG + "```");
        Markdown.Table base = md.table("-client API", "unmatched: wall µs/call", "caller CPU µs", "process CPU µs",
                "caller alloc B");
        for (String client : results.keySet()) {
            base.row(client, Markdown.num(baseline(client, Metric.WALL), 1), Markdown.num(baseline(client, Metric.CPU), 1),
                    Markdown.num(baseline(client, Metric.PROCESS), 1), Markdown.num(baseline(client, Metric.ALLOC), 0));
        }
        base.end();
        for (Metric metric : Metric.values()) {
            md.heading(3, "Added " + metric.label + " per call (" + metric.unit + ", mean [95% CI])");
            Markdown.Table t = md.table("-client API", Arm.CONTROL.label, Arm.RETRY.label, Arm.TAGGING.label,
                    Arm.HEDGING.label, Arm.APP_TAGS.label);
            for (String client : results.keySet()) {
                List<Object> cells = new ArrayList<>();
                cells.add(client);
                for (Arm arm : List.of(Arm.CONTROL, Arm.RETRY, Arm.TAGGING, Arm.HEDGING, Arm.APP_TAGS)) {
                    cells.add(cell(interval(client, arm, Arm.UNMATCHED, metric), metric));
                }
                t.row(cells.toArray());
            }
            t.end();
        }
        md.heading(3, "Calls held up for milliseconds");
        md.paragraph("Calls over " + PairedApp.SLOW_CALL_MILLIS + " ms per 10,000 of each arm's calls, over every JVM "
                + "(the steady wall time leaves out each turn with one, for every arm alike). A collection or the host descheduling a thread "
                + "holds up whichever arm's call is running: an arm with markedly more of them than the unmatched "
                + "ones would be holding up its own calls, and then only the wall time with every call counts. "
                + "The steady verdict below says so by itself where the hedged arm's count exceeds that of the two "
                + "unmatched arms together by more than chance (a one-sided binomial test at 5%).");
        List<String> slowHeader = new ArrayList<>(List.of("-client API"));
        for (Arm arm : Arm.values()) {
            slowHeader.add(arm.label);
        }
        Markdown.Table slowTable = md.table(slowHeader.toArray(new String[0]));
        for (String client : results.keySet()) {
            List<Object> cells = new ArrayList<>();
            cells.add(client);
            for (Arm arm : Arm.values()) {
                long[] slow = slowCalls.getOrDefault(client, Map.of()).getOrDefault(arm, new long[2]);
                cells.add(Markdown.num(slow[1] == 0 ? 0 : slow[0] * 10_000.0 / slow[1], 1));
            }
            slowTable.row(cells.toArray());
        }
        slowTable.end();
        md.heading(3, "Beyond the tags' own cost: a handled call against the application's own tagged call");
        md.paragraph("The handled arms against the arm on which the application sets the same three headers "
                + "itself and the agent does nothing (same round, per call, mean [95% CI]): what the agent adds "
                + "beyond what the client and the server spend on carrying the tags at all. The targets below "
                + "are judged, as written, against the untagged call; this separates the two shares.");
        Markdown.Table beyond = md.table("-client API", "retry + tagging: wall µs", "steady wall µs", "caller CPU µs",
                "caller alloc B", "+ hedging armed: wall µs", "steady wall µs", "caller CPU µs", "caller alloc B");
        for (String client : results.keySet()) {
            List<Object> cells = new ArrayList<>();
            cells.add(client);
            for (Arm arm : List.of(Arm.TAGGING, Arm.HEDGING)) {
                for (Metric metric : List.of(Metric.WALL, Metric.STEADY_WALL, Metric.CPU, Metric.ALLOC)) {
                    cells.add(cell(interval(client, arm, Arm.APP_TAGS, metric), metric));
                }
            }
            beyond.row(cells.toArray());
        }
        beyond.end();
        if (forks > 1) {
            md.heading(3, "Between JVMs: a handled call's added wall time in each JVM");
            md.paragraph("Retry + tagging with a hedge armed, against the unmatched arm: each JVM's mean over its "
                    + "rounds, with the 95% interval over those rounds alone. Where JVMs differ by more than "
                    + "those intervals, an interval over one JVM's rounds would not hold for the next JVM.");
            List<String> header = new ArrayList<>(List.of("-client API"));
            for (int fork = 1; fork <= forks; fork++) {
                header.add("JVM " + fork + " µs");
            }
            Markdown.Table between = md.table(header.toArray(new String[0]));
            for (String client : results.keySet()) {
                List<Object> cells = new ArrayList<>();
                cells.add(client);
                for (Map<Arm, Map<Metric, List<Double>>> fork : results.get(client)) {
                    cells.add(cell(Stats.meanInterval(differences(fork, Arm.HEDGING, Arm.UNMATCHED, Metric.WALL)),
                            Metric.WALL));
                }
                between.row(cells.toArray());
            }
            between.end();
        }
        if (!notHandled.isEmpty()) {
            md.paragraph("Not handled by the agent (no tagging header reached the server): " + notHandled);
        }
        md.paragraph(connectionsNote());
        return md;
    }

    /**
     * Whether every call went over a connection kept from the warm-up on: a client whose pool drops
     * some makes calls that pay for a new connection, on whichever arm they fall.
     */
    private String connectionsNote() {
        // As many servers as arms (PairedApp), each arm reaching each server at its own address.
        int pairs = Arm.values().length * Arm.values().length;
        StringBuilder reopened = new StringBuilder();
        for (Map.Entry<String, Integer> e : connections.entrySet()) {
            if (e.getValue() > pairs) {
                reopened.append(reopened.length() == 0 ? "" : ", ").append(e.getKey()).append(" up to ")
                        .append(e.getValue());
            }
        }
        if (reopened.length() > 0) {
            return "**Connections were opened during the measurement**, so some calls paid for a new one (connections"
                    + " one JVM's servers accepted, against " + pairs + " addresses and servers): " + reopened + ".";
        }
        return "Every JVM's servers accepted at most one connection per address and server (" + pairs
                + " pairs): every measured call went over a connection kept alive from the warm-up on.";
    }

    /** One row per client and target: a handled call, retry + tagging with a hedge armed. */
    public void targetRows(Markdown.Table targets) {
        for (String client : results.keySet()) {
            for (Map.Entry<Metric, Double> target : TARGETS.entrySet()) {
                Metric metric = target.getKey();
                if (metric == Metric.ALLOC && inMemory(client)) {
                    continue; // its calling thread also reads each request as the server: not the client's own
                }
                double[] ci = interval(client, Arm.HEDGING, Arm.UNMATCHED, metric);
                double[] control = interval(client, Arm.CONTROL, Arm.UNMATCHED, metric);
                String unit = metric.unit;
                targets.row(client + ": a handled call adds at most " + Markdown.num(target.getValue(), 0) + " " + unit
                        + " of " + metric.label + " (paired, hedge armed)",
                        Markdown.num(ci[0], metric == Metric.ALLOC ? 0 : 2) + " " + unit + " [95% CI "
                                + Markdown.num(ci[1], metric == Metric.ALLOC ? 0 : 2) + " – "
                                + Markdown.num(ci[2], metric == Metric.ALLOC ? 0 : 2) + "]",
                        metric == Metric.STEADY_WALL ? steadyVerdict(client, ci, control, target.getValue())
                                : verdict(ci, control, target.getValue()));
            }
        }
    }

    /** Whether {@code client}'s connections are in memory, its requests answered on the calling thread. */
    private static boolean inMemory(String client) {
        return client.endsWith("-memory");
    }

    /**
     * {@link #verdict}, unless the hedged arm's calls were held up for milliseconds more often than
     * the unmatched arms' beyond chance: then the turns the steady reading leaves out were, in
     * part, the handled arm's own doing, and only the wall time with every call can be judged.
     */
    private String steadyVerdict(String client, double[] ci, double[] control, double limit) {
        Map<Arm, long[]> slow = slowCalls.getOrDefault(client, Map.of());
        long[] handled = slow.getOrDefault(Arm.HEDGING, new long[2]);
        // Both arms on which the agent does nothing, the control too: one arm's count alone is
        // noisy enough to make the handled arm's look high by chance.
        long[] unmatched = slow.getOrDefault(Arm.UNMATCHED, new long[2]);
        long[] controlArm = slow.getOrDefault(Arm.CONTROL, new long[2]);
        long unmatchedSlow = unmatched[0] + controlArm[0];
        long unmatchedCalls = unmatched[1] + controlArm[1];
        if (heldUpMoreOften(handled[0], handled[1], unmatchedSlow, unmatchedCalls)) {
            return "unclear: the handled arm's calls were held up for milliseconds more often (" + handled[0]
                    + " in " + handled[1] + " calls, against " + unmatchedSlow + " in " + unmatchedCalls
                    + " on the unmatched arms): only the wall time with every call counts";
        }
        return verdict(ci, control, limit);
    }

    /**
     * Whether {@code slowA} held-up calls in {@code callsA} are more than chance allows against
     * {@code slowB} in {@code callsB}: given how many there were in all, each falls on either arm in
     * proportion to its calls if the arms share one rate, so the first arm's count is binomial
     * (one-sided test at 5%).
     */
    static boolean heldUpMoreOften(long slowA, long callsA, long slowB, long callsB) {
        if (callsA == 0 || callsB == 0) {
            return false;
        }
        double share = callsA / (double) (callsA + callsB);
        return Stats.binomialAtLeast(slowA, slowA + slowB, share) < 0.05;
    }

    /**
     * {@link Verdict#interval}; but when the control arm (unmatched, like the baseline) alone differs from the baseline
     * by as much as the limit, arms differ by more than what is being looked for and no verdict
     * is given.
     */
    static String verdict(double[] ci, double[] control, double limit) {
        if (control[1] <= -limit || control[2] >= limit) {
            return "unclear: the control arm alone differs by as much as the target";
        }
        return Verdict.interval(ci, limit);
    }

    private static String cell(double[] ci, Metric metric) {
        return Markdown.interval(ci, metric == Metric.ALLOC ? 0 : 2);
    }

    /**
     * Mean and 95% interval of (arm − base, same round) per call: over the JVMs' means when there
     * are several, over the rounds of the one JVM otherwise.
     */
    private double[] interval(String client, Arm arm, Arm base, Metric metric) {
        List<Map<Arm, Map<Metric, List<Double>>>> jvms = results.get(client);
        if (jvms.size() == 1) {
            return Stats.meanInterval(differences(jvms.get(0), arm, base, metric));
        }
        List<Double> means = new ArrayList<>();
        for (Map<Arm, Map<Metric, List<Double>>> jvm : jvms) {
            means.add(Stats.mean(differences(jvm, arm, base, metric)));
        }
        return Stats.meanInterval(means);
    }

    /** One JVM's (arm − base) per call, round by round. */
    private static List<Double> differences(Map<Arm, Map<Metric, List<Double>>> jvm, Arm arm, Arm base, Metric metric) {
        return Stats.differences(jvm.get(arm).get(metric), jvm.get(base).get(metric));
    }

    /** The unmatched arm's own figure per call, over every JVM's rounds. */
    private double baseline(String client, Metric metric) {
        List<Double> all = new ArrayList<>();
        for (Map<Arm, Map<Metric, List<Double>>> jvm : results.get(client)) {
            all.addAll(jvm.get(Arm.UNMATCHED).get(metric));
        }
        return Stats.mean(all);
    }

    private Map<Arm, Map<Metric, List<Double>>> measure(String client, Path config) throws Exception {
        List<String> command = new ArrayList<>(List.of(options.java, "-Xms512m", "-Xmx512m",
                "-javaagent:" + options.agentJar.toAbsolutePath() + "=" + config.toAbsolutePath(),
                "-cp", RunOptions.ownJar().toString(), PairedApp.class.getName(), client, Integer.toString(rounds),
                Integer.toString(block), Integer.toString(warmup)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Map<Arm, Map<Metric, List<Double>>> byArm = new EnumMap<>(Arm.class);
        for (Arm arm : Arm.values()) {
            Map<Metric, List<Double>> m = new EnumMap<>(Metric.class);
            for (Metric metric : Metric.values()) {
                m.put(metric, new ArrayList<>());
            }
            byArm.put(arm, m);
        }
        StringBuilder other = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ");
                if (f[0].equals("block") && f.length == 11) {
                    Arm arm = Arm.valueOf(f[2]);
                    double calls = Double.parseDouble(f[3]);
                    Map<Metric, List<Double>> m = byArm.get(arm);
                    m.get(Metric.WALL).add(Long.parseLong(f[4]) / calls * Metric.WALL.scale);
                    m.get(Metric.CPU).add(Long.parseLong(f[5]) / calls * Metric.CPU.scale);
                    m.get(Metric.ALLOC).add(Long.parseLong(f[6]) / calls);
                    m.get(Metric.PROCESS).add(Long.parseLong(f[7]) / calls * Metric.PROCESS.scale);
                    int steadyTurns = Integer.parseInt(f[8]);
                    // A round without one steady turn (never seen) counts with all its turns.
                    m.get(Metric.STEADY_WALL).add(steadyTurns == 0 ? m.get(Metric.WALL).get(m.get(Metric.WALL).size() - 1)
                            : Long.parseLong(f[9]) / (double) steadyTurns * Metric.STEADY_WALL.scale);
                    long[] slow = slowCalls.computeIfAbsent(client, c -> new EnumMap<>(Arm.class))
                            .computeIfAbsent(arm, a -> new long[2]);
                    slow[0] += Long.parseLong(f[10]);
                    slow[1] += (long) calls;
                } else if (f[0].equals("tagged") && f.length == 3) {
                    Arm arm = Arm.valueOf(f[1]);
                    if (arm.tagged() != Boolean.parseBoolean(f[2])) {
                        notHandled.put(client + " " + arm.label, "tagged=" + f[2]);
                    }
                } else if (f[0].equals("connections") && f.length == 2) {
                    connections.merge(client, Integer.parseInt(f[1]), Math::max);
                } else {
                    other.append(line).append('\n');
                }
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0
                || byArm.get(Arm.UNMATCHED).get(Metric.WALL).size() != rounds) {
            process.destroyForcibly();
            throw new IllegalStateException("the paired run of " + client + " failed: " + other);
        }
        return byArm;
    }
}
