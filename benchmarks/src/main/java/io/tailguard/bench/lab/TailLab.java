package io.tailguard.bench.lab;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.report.Machine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the tail lab: for each scenario, a fresh {@link LabServer} and the {@link LabClient}
 * application in a forked JVM, once per mode: without the agent, with the naive retry loop, with
 * Tailguard ({@code -javaagent} on the built jar, the scenario's configuration), and where the
 * scenario has it, with Tailguard on both ends (the server's JVM too, with the scenario's
 * server-side configuration). Our server runs in this JVM; the JDK's runs in a JVM of its own
 * ({@link LabServerProcess}), so that it can carry the agent and its CPU can be measured. The
 * server drives the brownout on the shared timeline; {@link LabReport} writes the tables and charts.
 */
public final class TailLab {

    private static final long SEED = 20240601L;

    private final RunOptions options;

    public TailLab(RunOptions options) {
        this.options = options;
    }

    public void run() throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path work = options.work.resolve("lab");
        Files.createDirectories(work);
        String machine = Machine.describe(options.java);
        double loadBefore = Machine.loadAverage();
        long started = System.nanoTime();
        Map<Scenario, List<LabResult>> results = new LinkedHashMap<>();
        for (Scenario scenario : Scenario.all(options.quick)) {
            if (!options.scenarios.isEmpty() && !options.scenarios.contains(scenario.name)) {
                continue;
            }
            List<LabResult> runs = new ArrayList<>();
            for (LabResult.Mode mode : scenario.modes(jdkServer(scenario))) {
                if (!options.modes.isEmpty() && !options.modes.contains(mode.name())) {
                    continue;
                }
                System.out.printf("[lab] %s, %s: %.0f s of load at %.0f/s%n", scenario.name, scenario.label(mode),
                        scenario.totalSeconds(), scenario.rate);
                LabResult result = options.reportOnly ? reload(scenario, mode, work) : runOnce(scenario, mode, work);
                System.out.printf(Locale.ROOT, "[lab] %s, %s: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, success %.2f%%, "
                        + "amplification %.3f%n", scenario.name, scenario.label(mode), result.percentileMs(50),
                        result.percentileMs(99), result.percentileMs(99.9), result.successRate() * 100,
                        result.amplification());
                runs.add(result);
            }
            results.put(scenario, runs);
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        new LabReport(options, machine, loadBefore, Machine.loadAverage(), minutes).write(results);
    }

    /** Whether this scenario is served by the JDK's server (in its own JVM) in this run. */
    private boolean jdkServer(Scenario scenario) {
        return scenario.ownJdkServer || "jdk".equals(options.labServer);
    }

    private LabResult runOnce(Scenario scenario, LabResult.Mode mode, Path work) throws Exception {
        String tag = scenario.name.toLowerCase(Locale.ROOT) + "-" + mode.name().toLowerCase(Locale.ROOT);
        // Time for the client's JVM to start and make its first call before the load begins (a
        // server in its own JVM is up before that time starts).
        long lead = 3000;
        Path serverLogFile = work.resolve(tag + "-server.csv");
        if (jdkServer(scenario)) {
            List<String> jvm = new ArrayList<>();
            if (mode.serverAgent()) {
                Path config = work.resolve(tag + "-server.properties");
                Files.writeString(config, scenario.serverConfig(mode));
                jvm.add("-javaagent:" + options.agentJar.toAbsolutePath() + "=" + config.toAbsolutePath());
            }
            try (LabServerProcess server = LabServerProcess.start(options.java, jvm, scenario, options.quick, SEED,
                    lead, serverLogFile, work.resolve(tag + "-server.log"))) {
                Path csv = runClient(scenario, mode, work, tag, server.url(), server.startAt());
                return new LabResult(mode, scenario, csv, server.stop());
            }
        }
        long startAt = System.currentTimeMillis() + lead;
        long origin = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startAt - System.currentTimeMillis());
        ScheduledExecutorService brownout = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lab-brownout");
            t.setDaemon(true);
            return t;
        });
        try (LabServer server = scenario.newServer(SEED, origin, false)) {
            scenario.scheduleBrownout(server, origin, brownout);
            Path csv = runClient(scenario, mode, work, tag, server.url(), startAt);
            LabServer.ServerLog serverLog = server.log();
            serverLog.write(serverLogFile);
            return new LabResult(mode, scenario, csv, serverLog);
        } finally {
            brownout.shutdownNow();
        }
    }

    /** The application's JVM, for one run: returns its record of every request. */
    private Path runClient(Scenario scenario, LabResult.Mode mode, Path work, String tag, String url, long startAt)
            throws Exception {
        Path csv = work.resolve(tag + ".csv");
        Path log = work.resolve(tag + ".log");
        List<String> command = new ArrayList<>();
        command.add(options.java);
        command.add("-Xmx512m");
        if (mode.clientAgent()) {
            Path config = work.resolve(scenario.name.toLowerCase(Locale.ROOT) + ".properties");
            Files.writeString(config, scenario.tailguardConfig());
            command.add("-javaagent:" + options.agentJar.toAbsolutePath() + "=" + config.toAbsolutePath());
        }
        command.add("-cp");
        command.add(RunOptions.ownJar().toString());
        command.add("io.tailguard.bench.BenchMain");
        command.add("lab-client");
        add(command, "url", url);
        add(command, "rate", Double.toString(scenario.rate));
        add(command, "seconds", Double.toString(scenario.totalSeconds()));
        add(command, "start-at", Long.toString(startAt));
        add(command, "mode", mode == LabResult.Mode.NAIVE ? "naive" : "plain");
        add(command, "timeout-ms", Long.toString(scenario.appTimeoutMs));
        add(command, "naive-timeout-ms", Long.toString(scenario.naiveTimeoutMs));
        add(command, "drain-seconds", Double.toString(scenario.drainSeconds));
        add(command, "client", options.clients.isEmpty() ? "jdk" : options.clients.get(0));
        add(command, "seed", Long.toString(SEED));
        add(command, "out", csv.toString());
        Files.deleteIfExists(csv);
        Process client = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long limit = (long) (scenario.totalSeconds() + scenario.drainSeconds + 60);
        if (!client.waitFor(limit, TimeUnit.SECONDS)) {
            client.destroyForcibly();
            throw new IllegalStateException("the lab client did not finish in " + limit + " s; see " + log);
        }
        if (client.exitValue() != 0 || !Files.exists(csv)) {
            throw new IllegalStateException("the lab client failed; see " + log + ":\n" + Files.readString(log));
        }
        return csv;
    }

    /** A run's result from the raw files an earlier run left in the work directory. */
    private static LabResult reload(Scenario scenario, LabResult.Mode mode, Path work) throws java.io.IOException {
        String tag = scenario.name.toLowerCase(Locale.ROOT) + "-" + mode.name().toLowerCase(Locale.ROOT);
        return new LabResult(mode, scenario, work.resolve(tag + ".csv"),
                LabServer.ServerLog.read(work.resolve(tag + "-server.csv")));
    }

    private static void add(List<String> command, String name, String value) {
        command.add("--" + name);
        command.add(value);
    }
}
