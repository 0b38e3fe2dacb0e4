package io.tailguard.bench;

import io.tailguard.bench.lab.LabClient;
import io.tailguard.bench.lab.LabServerProcess;
import io.tailguard.bench.lab.TailLab;
import io.tailguard.bench.neverworse.NeverWorse;
import io.tailguard.bench.overhead.HookRun;
import io.tailguard.bench.overhead.OverheadRun;
import io.tailguard.bench.overhead.PairedRun;
import io.tailguard.bench.overhead.ScalingRun;
import io.tailguard.bench.overhead.StartupRun;
import io.tailguard.bench.overhead.UnmatchedRun;
import io.tailguard.bench.report.Machine;
import io.tailguard.bench.report.Markdown;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * {@code java -jar tailguard-benchmarks.jar COMMAND [options]}:
 * <ul>
 *   <li>{@code overhead}: per-call overhead (JMH) and JVM startup, with and without the agent;
 *       writes {@code overhead.md};
 *   <li>{@code startup}: only the startup part;
 *   <li>{@code startup-target}: only the pair the startup target is judged on (no agent, a matching
 *       policy), 480 rounds; writes {@code startup-target.md};
 *   <li>{@code paired}: what handling a call costs, each client API measured paired inside one JVM
 *       (handled hosts against an unmatched one, interleaved); writes {@code overhead-paired.md};
 *   <li>{@code hooks}: what a call no policy matches costs, each client API's hook alone, with and
 *       without the agent; writes {@code hooks.md};
 *   <li>{@code unmatched}: what a call no policy matches costs beside calls the agent handles, JVMs
 *       with and without the agent taking turns; writes {@code overhead-unmatched.md};
 *   <li>{@code scaling}: engine throughput at 1, 2, 4 and 8 threads, and heap per policy as the
 *       request rate grows to 10,000/s; writes {@code scaling.md};
 *   <li>{@code lab}: the tail-latency lab (T1, T2, S1, S3); writes {@code lab.md} and charts;
 *   <li>{@code never-worse}: every client API against servers with and without {@code TCP_NODELAY},
 *       with and without the agent; writes {@code never-worse.md}.
 * </ul>
 * Options: {@code --quick} (a few minutes on 2 cores) or {@code --full} (the default: the published
 * figures), {@code --java PATH} (the JVM to fork), {@code --agent JAR}, {@code --out DIR},
 * {@code --clients jdk,okhttp,...}, {@code --scenarios T1,T2,S1,S3}, {@code --rounds N},
 * {@code --skip-startup}.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: overhead|paired|hooks|unmatched|scaling|startup|startup-target|lab|never-worse [--quick|--full] [--java PATH] [--agent JAR] [--out DIR] "
                    + "[--clients a,b] [--scenarios T1,T2,S1,S3] [--rounds N] [--skip-startup]");
            System.exit(2);
        }
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (command.equals("lab-client")) {
            LabClient.main(rest);
            return;
        }
        if (command.equals("lab-server")) {
            LabServerProcess.main(rest);
            return;
        }
        RunOptions options = RunOptions.parse(rest);
        Files.createDirectories(options.out);
        long started = System.nanoTime();
        switch (command) {
            case "overhead":
                overhead(options, true);
                break;
            case "startup":
                overhead(options, false);
                break;
            case "startup-target":
                startupTarget(options);
                break;
            case "paired":
                paired(options);
                break;
            case "scaling":
                scaling(options);
                break;
            case "hooks":
                hooks(options);
                break;
            case "unmatched":
                unmatched(options);
                break;
            case "lab":
                new TailLab(options).run();
                break;
            case "never-worse":
                new NeverWorse(options).run();
                break;
            default:
                throw new IllegalArgumentException("unknown command " + command);
        }
        System.out.printf("done in %.1f min; reports in %s%n", (System.nanoTime() - started) / 60e9,
                options.out.toAbsolutePath());
    }

    /** A report's title and where it comes from: the machine, the agent when one is measured, the command. */
    private static Markdown report(RunOptions options, String title, String command, boolean agent) {
        Markdown md = new Markdown();
        md.heading(1, title + " (" + (options.quick ? "quick" : "full") + " run)");
        md.paragraph("Machine: " + Machine.describe(options.java) + "."
                + (agent ? " Agent: " + options.agentDescription() + "." : "")
                + " Reproduce: `benchmarks/run " + command + (options.quick ? " --quick" : "")
                + (agent && options.rounds > 0 ? " --rounds " + options.rounds : "")
                + (options.forks > 0 ? " --forks " + options.forks : "")
                + (options.clients.isEmpty() ? "" : " --clients " + String.join(",", options.clients))
                + (options.floor ? " --floor" : "")
                + (options.aot ? " --aot" : "")
                + (options.javaArg == null ? "" : " --java " + options.javaArg) + "`.");
        return md;
    }

    /** Only the paired, in-JVM overhead of each client API: {@code overhead-paired.md}. */
    private static void paired(RunOptions options) throws Exception {
        PairedRun run = new PairedRun(options);
        withTargets(report(options, "Tailguard overhead, paired in one JVM", "paired", true), run::run, run::targetRows,
                options.out.resolve("overhead-paired.md"));
    }

    /** What a call no policy matches costs, the hook of every client API alone: {@code hooks.md}. */
    private static void hooks(RunOptions options) throws Exception {
        Markdown md = report(options, "Tailguard's hooks on a call no policy matches", "hooks", true);
        md.raw(new HookRun(options).run(new Markdown()).toString());
        Files.writeString(options.out.resolve("hooks.md"), md.toString());
        System.out.println(md);
    }

    /** What a call no policy matches costs beside handled ones, with and without the agent: {@code overhead-unmatched.md}. */
    private static void unmatched(RunOptions options) throws Exception {
        UnmatchedRun run = new UnmatchedRun(options);
        withTargets(report(options, "Tailguard's cost on calls no policy matches, beside handled ones", "unmatched", true),
                run::run, run::targetRows, options.out.resolve("overhead-unmatched.md"));
    }

    /** A run's sections, then its table of targets, written to {@code file} and printed. */
    private static void withTargets(Markdown md, Section sections, Consumer<Markdown.Table> targetRows, Path file)
            throws Exception {
        md.raw(sections.write(new Markdown()).toString());
        md.heading(2, "Targets");
        Markdown.Table targets = md.table("-target", "measured", "verdict");
        targetRows.accept(targets);
        targets.end();
        Files.writeString(file, md.toString());
        System.out.println(md);
    }

    /** Runs a measurement and writes its sections of a report. */
    private interface Section {
        Markdown write(Markdown md) throws Exception;
    }

    /** Only the pair the startup target is judged on, more rounds of it: {@code startup-target.md}. */
    private static void startupTarget(RunOptions options) throws Exception {
        StartupRun run = new StartupRun(options, true);
        withTargets(report(options, "Tailguard startup: the target's pair", "startup-target", true), run::run,
                run::targetRows, options.out.resolve("startup-target.md"));
    }

    /** Engine throughput by thread count, and heap per policy by request rate: {@code scaling.md}. */
    private static void scaling(RunOptions options) throws Exception {
        Markdown md = report(options, "Tailguard cost as the work grows", "scaling", false);
        md.raw(new ScalingRun(options).run(new Markdown()).toString());
        Files.writeString(options.out.resolve("scaling.md"), md.toString());
        System.out.println(md);
    }

    private static void overhead(RunOptions options, boolean jmh) throws Exception {
        Markdown md = new Markdown();
        String mode = options.quick ? "quick" : "full";
        md.heading(1, "Tailguard overhead (" + mode + " run)");
        md.paragraph("Machine: " + Machine.describe(options.java) + ". Agent: " + options.agentDescription()
                + ". Reproduce: `benchmarks/run " + (jmh ? "overhead" : "startup") + (options.quick ? " --quick" : "")
                + (options.rounds > 0 ? " --rounds " + options.rounds : "")
                + (options.javaArg == null ? "" : " --java " + options.javaArg) + "`.");
        Markdown.Table targets = null;
        OverheadRun perCall = null;
        StartupRun startup = null;
        if (jmh) {
            perCall = new OverheadRun(options);
            Markdown section = perCall.run(new Markdown());
            md.raw(section.toString());
        }
        if (!options.skipStartup) {
            startup = new StartupRun(options);
            md.raw(startup.run(new Markdown()).toString());
        }
        md.heading(2, "Targets");
        targets = md.table("-target", "measured", "verdict");
        if (perCall != null) {
            perCall.targetRows(targets);
        }
        if (startup != null) {
            startup.targetRows(targets);
        }
        targets.end();
        Path file = options.out.resolve(jmh ? "overhead.md" : "startup.md");
        Files.writeString(file, md.toString());
        System.out.println(md);
    }
}
