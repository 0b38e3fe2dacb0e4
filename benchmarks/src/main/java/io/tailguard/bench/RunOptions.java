package io.tailguard.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** The command line shared by the benchmark commands. */
public final class RunOptions {

    /** {@code --quick}: a few minutes on 2 cores, to check the harness and see the shape. */
    public boolean quick;
    /** The {@code java} the forked JVMs run on. */
    public String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    /** {@code --java} as given, or {@code null} for this JVM's own (a report's reproduce line repeats it). */
    public String javaArg;
    public Path agentJar;
    /**
     * {@code --baseline-agent}: startup also starts the application with this Tailguard jar and the
     * same policy, in every round beside the others, to compare two builds of the agent in one run;
     * {@code null} for none.
     */
    public Path baselineAgent;
    /** Where reports and charts go. */
    public Path out;
    /** {@code --out} as given, or {@code null} for the default (a report's reproduce line repeats it). */
    public String outArg;
    /** Scratch files: agent configurations, JMH logs, raw lab data. */
    public Path work;
    /** Clients to measure; empty means the default for the mode. */
    public List<String> clients = new ArrayList<>();
    /** Lab scenarios to run; empty means all. */
    public List<String> scenarios = new ArrayList<>();
    /** Overrides the number of JMH rounds (or startup runs per variant, or paired rounds per JVM). */
    public int rounds;
    /** Paired: how many JVMs each client API runs in, one after another; 0 for the mode's default. */
    public int forks;
    public boolean skipStartup;
    /**
     * Startup target: also start, in every round, an agent that only registers a transformer that
     * changes nothing, the floor of any agent that rewrites classes as they load.
     */
    public boolean floor;
    /**
     * Startup target: every launch with an AOT cache of its own (JDK 25's {@code -XX:AOTCache}),
     * made by one training run of that launch before the rounds.
     */
    public boolean aot;
    /** Lab: write the report again from the raw data of the last run, without running anything. */
    public boolean reportOnly;
    /** Lab modes to run (no_agent, naive, tailguard); empty means all. */
    public List<String> modes = new ArrayList<>();
    /** lab: {@code ours} (TCP_NODELAY, one write per response) or {@code jdk} (com.sun.net.httpserver). */
    public String labServer = "ours";
    /** never-worse: the servers to run against (ours, jdk, python, nginx); empty means all. */
    public List<String> servers = new ArrayList<>();

    public static RunOptions parse(String[] args) {
        RunOptions o = new RunOptions();
        Path target = benchmarksTarget();
        Path repo = target.getParent().getParent();
        o.agentJar = repo.resolve("agent/target/tailguard-agent.jar");
        String outArg = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick":
                    o.quick = true;
                    break;
                case "--full":
                    o.quick = false;
                    break;
                case "--java":
                    o.java = args[++i];
                    o.javaArg = o.java;
                    break;
                case "--agent":
                    o.agentJar = Paths.get(args[++i]);
                    break;
                case "--baseline-agent":
                    o.baselineAgent = Paths.get(args[++i]);
                    break;
                case "--out":
                    outArg = args[++i];
                    break;
                case "--clients":
                    o.clients = Arrays.asList(args[++i].split(","));
                    break;
                case "--scenarios":
                    o.scenarios = Arrays.asList(args[++i].toUpperCase(Locale.ROOT).split(","));
                    break;
                case "--rounds":
                    o.rounds = Integer.parseInt(args[++i]);
                    break;
                case "--forks":
                    o.forks = Integer.parseInt(args[++i]);
                    break;
                case "--modes":
                    o.modes = Arrays.asList(args[++i].toUpperCase(Locale.ROOT).split(","));
                    break;
                case "--server":
                    o.labServer = args[++i].toLowerCase(Locale.ROOT);
                    break;
                case "--servers":
                    o.servers = Arrays.asList(args[++i].toLowerCase(Locale.ROOT).split(","));
                    break;
                case "--report-only":
                    o.reportOnly = true;
                    break;
                case "--skip-startup":
                    o.skipStartup = true;
                    break;
                case "--floor":
                    o.floor = true;
                    break;
                case "--aot":
                    o.aot = true;
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + a);
            }
        }
        o.outArg = outArg;
        o.out = outArg != null ? Paths.get(outArg)
                : repo.resolve("benchmarks/results").resolve(o.quick ? "quick" : "full");
        o.work = target.resolve("bench-work");
        if (!Files.isRegularFile(o.agentJar)) {
            throw new IllegalArgumentException("no agent jar at " + o.agentJar
                    + "; build it first (mvn -B -q package -DskipTests)");
        }
        if (o.baselineAgent != null && !Files.isRegularFile(o.baselineAgent)) {
            throw new IllegalArgumentException("--baseline-agent: no agent jar at " + o.baselineAgent);
        }
        return o;
    }

    /** {@code benchmarks/target}, where this code's jar (or classes directory) lives. */
    static Path benchmarksTarget() {
        try {
            Path code = Paths.get(RunOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return code.getParent().toAbsolutePath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The agent jar as a report names it: its file name, and the commit it was built from where its
     * manifest says (a build in a git checkout): {@code `tailguard-agent.jar` at `1a2b3c4`}.
     */
    public String agentDescription() {
        return describe(agentJar);
    }

    /** {@link #baselineAgent} as a report names it, as {@link #agentDescription()}. */
    public String baselineDescription() {
        return describe(baselineAgent);
    }

    private static String describe(Path agentJar) {
        String name = "`" + agentJar.getFileName() + "`";
        try (JarFile jar = new JarFile(agentJar.toFile())) {
            Manifest manifest = jar.getManifest();
            String commit = manifest == null ? null : manifest.getMainAttributes().getValue("Tailguard-Commit");
            if (commit == null || commit.isBlank() || commit.startsWith("${")) {
                return name;
            }
            boolean uncommitted = "true".equals(manifest.getMainAttributes().getValue("Tailguard-Uncommitted-Changes"));
            return name + " at `" + commit + "`" + (uncommitted ? " with uncommitted changes" : "");
        } catch (IOException | RuntimeException unreadable) {
            return name;
        }
    }

    /** The path of this code's jar (the class path of forked JVMs). */
    public static Path ownJar() {
        try {
            return Paths.get(RunOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
