package io.tailguard.bench.overhead;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.report.Machine;
import io.tailguard.bench.report.Markdown;
import io.tailguard.bench.report.Stats;
import io.tailguard.bench.report.Verdict;
import io.tailguard.bench.server.MiniHttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JVM startup with and without the agent: {@link StartupApp} started many times per variant, the
 * variants interleaved (a different order each run) so that drift in the machine's load hits all
 * of them alike. Wall time from process start to exit, as a user would time it.
 *
 * <p>One more variant measures the hook style against the alternative: the same hooks installed
 * with Byte Buddy's {@code AgentBuilder} and {@code Advice} ({@code bytebuddy.ByteBuddyHooksAgent}).
 */
public final class StartupRun {

    private static final List<Launch> LAUNCHES = List.of(Launch.values());
    private static final int DISCARDED = 2;

    private final RunOptions options;
    private final int runs;
    private final Map<Launch, List<Double>> millis = new EnumMap<>(Launch.class);
    private final AtomicInteger tagged = new AtomicInteger();
    private final AtomicInteger hookedByByteBuddy = new AtomicInteger();
    private Path byteBuddyAgent;

    /** How one run is started: a Tailguard variant, or the same hooks installed with Byte Buddy. */
    enum Launch {
        NO_AGENT(Variant.NO_AGENT),
        UNMATCHED(Variant.UNMATCHED),
        ACTIVE(Variant.ACTIVE),
        BYTE_BUDDY_ADVICE(null);

        final Variant variant;

        Launch(Variant variant) {
            this.variant = variant;
        }

        String label() {
            return variant != null ? variant.label() : "the same hooks with Byte Buddy `Advice` (no configuration, no engine)";
        }
    }

    public StartupRun(RunOptions options) {
        this.options = options;
        this.runs = options.rounds > 0 ? options.rounds : options.quick ? 15 : 60;
    }

    public Markdown run(Markdown md) throws Exception {
        Path work = options.work.resolve("startup");
        Path app = copyApp(work.resolve("app"));
        byteBuddyAgent = ByteBuddyHooksJar.write(io.tailguard.bench.RunOptions.ownJar(), work.resolve("bytebuddy"));
        double loadBefore = Machine.loadAverage();
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        try (MiniHttpServer server = new MiniHttpServer(request -> {
            if (request.header("x-attempt") != null) {
                tagged.incrementAndGet();
            }
            return ok;
        })) {
            SplittableRandom order = new SplittableRandom(42);
            List<Launch> sequence = new ArrayList<>(LAUNCHES);
            for (int i = 0; i < runs + DISCARDED; i++) {
                shuffle(sequence, order);
                for (Launch variant : sequence) {
                    double ms = once(variant, app, work, server.url("/startup"));
                    if (i >= DISCARDED) {
                        millis.computeIfAbsent(variant, v -> new ArrayList<>()).add(ms);
                    }
                }
                if ((i + 1) % 5 == 0) {
                    System.out.printf("[startup] %d/%d runs per variant%n", i + 1, runs + DISCARDED);
                }
            }
        }
        return write(md, loadBefore, Machine.loadAverage());
    }

    private double once(Launch variant, Path app, Path work, String url) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(options.java);
        if (variant.variant != null) {
            command.addAll(variant.variant.jvmOptions(options.agentJar, work));
        } else {
            command.add("-Dbench.variant=" + variant.name());
            command.add("-javaagent:" + byteBuddyAgent.toAbsolutePath());
        }
        command.add("-cp");
        command.add(app.toString());
        command.add(StartupApp.class.getName());
        command.add(url);
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the startup app did not exit within 60 s");
        }
        double elapsed = (System.nanoTime() - start) / 1e6;
        if (process.exitValue() != 0 || !output.trim().endsWith("200") || output.contains("[bench] could not hook")) {
            throw new IllegalStateException("the startup app failed (" + variant + "): " + output);
        }
        if (output.contains("[bench] hooked jdk.internal.net.http.HttpClientImpl")) {
            hookedByByteBuddy.incrementAndGet();
        }
        return elapsed;
    }

    private static Path copyApp(Path dir) throws IOException {
        String resource = StartupApp.class.getName().replace('.', '/') + ".class";
        Path file = dir.resolve(resource);
        Files.createDirectories(file.getParent());
        try (InputStream in = StartupRun.class.getClassLoader().getResourceAsStream(resource)) {
            Files.write(file, in.readAllBytes());
        }
        return dir;
    }

    private static void shuffle(List<Launch> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Launch t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    private Markdown write(Markdown md, double loadBefore, double loadAfter) {
        md.heading(2, "JVM startup");
        md.paragraph("A small application (create a JDK `HttpClient`, one GET to a local server, exit), started "
                + runs + " times per variant after " + DISCARDED + " discarded runs, variants interleaved in "
                + "random order; wall time from process start to exit (load average " + Markdown.num(loadBefore, 2)
                + " before, " + Markdown.num(loadAfter, 2) + " after). With retry + tagging, "
                + tagged.get() + " of " + (runs + DISCARDED)
                + " calls reached the server tagged, i.e. handled by the agent. With Byte Buddy, "
                + hookedByByteBuddy.get() + " of " + (runs + DISCARDED) + " runs hooked `HttpClientImpl` (its"
                + " listener's report); that agent installs the hooks only (see `ByteBuddyHooksAgent`).");
        Markdown.Table table = md.table("-variant", "median ms", "p25 – p75 ms", "min – max ms",
                "extra vs no agent (difference of medians [95% CI])");
        List<Double> base = millis.get(Launch.NO_AGENT);
        for (Launch v : LAUNCHES) {
            List<Double> m = millis.get(v);
            String extra = v == Launch.NO_AGENT ? "–" : extraCell(base, m);
            table.row(v.label(), Markdown.num(Stats.median(m), 0),
                    Markdown.num(Stats.percentileOf(m, 25), 0) + " – " + Markdown.num(Stats.percentileOf(m, 75), 0),
                    Markdown.num(Stats.min(m), 0) + " – " + Markdown.num(Stats.max(m), 0), extra);
        }
        table.end();
        md.paragraph("Hook style: the same hooks with Byte Buddy `Advice` take "
                + extraCell(millis.get(Launch.ACTIVE), millis.get(Launch.BYTE_BUDDY_ADVICE))
                + " longer to start than Tailguard with a matching policy (difference of medians [95% CI]).");
        return md;
    }

    /** Startup cost of the agent with a matching policy: the median of run-by-run differences. */
    public void targetRows(Markdown.Table targets) {
        double[] ci = extra(millis.get(Launch.NO_AGENT), millis.get(Launch.ACTIVE));
        targets.row("startup < 150 ms extra (agent with a matching policy)", Markdown.num(ci[0], 0) + " ms [95% CI "
                + Markdown.num(ci[1], 0) + " – " + Markdown.num(ci[2], 0) + "]",
                ci[2] < 150 ? Verdict.MEETS : ci[1] >= 150 ? Verdict.FALLS_SHORT
                        : "unclear: the 95% interval straddles the target");
    }

    private static String extraCell(List<Double> base, List<Double> with) {
        double[] e = extra(base, with);
        return Markdown.num(e[0], 0) + " ms [" + Markdown.num(e[1], 0) + " – " + Markdown.num(e[2], 0) + "]";
    }

    /**
     * The difference of medians with a 95% bootstrap interval: resampling each variant's runs
     * independently, 2,000 times.
     */
    static double[] extra(List<Double> base, List<Double> with) {
        double point = Stats.median(with) - Stats.median(base);
        SplittableRandom random = new SplittableRandom(7);
        List<Double> boot = new ArrayList<>();
        for (int b = 0; b < 2000; b++) {
            boot.add(Stats.median(resample(with, random)) - Stats.median(resample(base, random)));
        }
        return new double[] {point, Stats.percentileOf(boot, 2.5), Stats.percentileOf(boot, 97.5)};
    }

    private static List<Double> resample(List<Double> values, SplittableRandom random) {
        List<Double> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            out.add(values.get(random.nextInt(values.size())));
        }
        return out;
    }
}
