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
 * Runs the tail lab: for each scenario, a fresh {@link LabServer} in this JVM and the
 * {@link LabClient} application in a forked JVM, three times: without the agent, with the naive
 * retry loop, and with Tailguard ({@code -javaagent} on the built jar, the scenario's
 * configuration). The server drives the brownout on the shared timeline; {@link LabReport}
 * writes the tables and charts.
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
            for (LabResult.Mode mode : LabResult.Mode.values()) {
                if (!options.modes.isEmpty() && !options.modes.contains(mode.name())) {
                    continue;
                }
                System.out.printf("[lab] %s, %s: %.0f s of load at %.0f/s%n", scenario.name, mode.label(),
                        scenario.totalSeconds(), scenario.rate);
                LabResult result = options.reportOnly ? reload(scenario, mode, work) : runOnce(scenario, mode, work);
                System.out.printf(Locale.ROOT, "[lab] %s, %s: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, success %.2f%%, "
                        + "amplification %.3f%n", scenario.name, mode.label(), result.percentileMs(50),
                        result.percentileMs(99), result.percentileMs(99.9), result.successRate() * 100,
                        result.amplification());
                runs.add(result);
            }
            results.put(scenario, runs);
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        new LabReport(options, machine, loadBefore, Machine.loadAverage(), minutes).write(results);
    }

    private LabResult runOnce(Scenario scenario, LabResult.Mode mode, Path work) throws Exception {
        String tag = scenario.name.toLowerCase(Locale.ROOT) + "-" + mode.name().toLowerCase(Locale.ROOT);
        // Time for the client JVM to start and make its first call before the load begins.
        long startAt = System.currentTimeMillis() + 3000;
        long origin = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startAt - System.currentTimeMillis());
        Workers workers = scenario.workers > 0 ? new Workers(scenario.workers, scenario.queueLimit) : null;
        ScheduledExecutorService brownout = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lab-brownout");
            t.setDaemon(true);
            return t;
        });
        try (LabServer server = new LabServer(scenario.latency, workers, SEED, origin, "jdk".equals(options.labServer))) {
            if (scenario.hasBrownout()) {
                long now = System.nanoTime();
                brownout.schedule(() -> server.setCapacity(scenario.brownoutWorkers),
                        origin + (long) (scenario.brownoutStart * 1e9) - now, TimeUnit.NANOSECONDS);
                brownout.schedule(() -> server.setCapacity(scenario.workers),
                        origin + (long) ((scenario.brownoutStart + scenario.brownoutSeconds) * 1e9) - now,
                        TimeUnit.NANOSECONDS);
            }
            Path csv = work.resolve(tag + ".csv");
            Path log = work.resolve(tag + ".log");
            List<String> command = new ArrayList<>();
            command.add(options.java);
            command.add("-Xmx512m");
            if (mode == LabResult.Mode.TAILGUARD) {
                Path config = work.resolve(scenario.name.toLowerCase(Locale.ROOT) + ".properties");
                Files.writeString(config, scenario.tailguardConfig());
                command.add("-javaagent:" + options.agentJar.toAbsolutePath() + "=" + config.toAbsolutePath());
            }
            command.add("-cp");
            command.add(RunOptions.ownJar().toString());
            command.add("io.tailguard.bench.BenchMain");
            command.add("lab-client");
            add(command, "url", server.url());
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
            Process client = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long limit = (long) (scenario.totalSeconds() + scenario.drainSeconds + 60);
            if (!client.waitFor(limit, TimeUnit.SECONDS)) {
                client.destroyForcibly();
                throw new IllegalStateException("the lab client did not finish in " + limit + " s; see " + log);
            }
            if (client.exitValue() != 0 || !Files.exists(csv)) {
                throw new IllegalStateException("the lab client failed; see " + log + ":\n" + Files.readString(log));
            }
            LabServer.ServerLog serverLog = server.log();
            writeServerLog(serverLog, work.resolve(tag + "-server.csv"));
            return new LabResult(mode, scenario, csv, serverLog);
        } finally {
            brownout.shutdownNow();
        }
    }

    /**
     * The server's record of every attempt, and its queue's length every 10 ms (on the first line),
     * for anyone who wants to look closer than the report, and for {@code --report-only}.
     */
    private static void writeServerLog(LabServer.ServerLog log, Path file) throws java.io.IOException {
        StringBuilder csv = new StringBuilder("# peak_queue=" + log.peakQueue + " queue_every_10ms=");
        for (int i = 0; i < log.queueSamples.length; i++) {
            csv.append(i == 0 ? "" : ";").append(log.queueSamples[i]);
        }
        csv.append("\nid,kind,arrival_ns,queue_ns,service_ns,status,delivered,tags\n");
        for (LabServer.Attempt a : log.attempts) {
            csv.append(a.id).append(',').append(a.kind).append(',').append(a.arrivalNanos).append(',')
                    .append(a.queueNanos).append(',').append(a.serviceNanos).append(',').append(a.status).append(',')
                    .append(a.delivered).append(',').append(a.tags).append('\n');
        }
        Files.writeString(file, csv);
    }

    /** A run's result from the raw files an earlier run left in the work directory. */
    private static LabResult reload(Scenario scenario, LabResult.Mode mode, Path work) throws java.io.IOException {
        String tag = scenario.name.toLowerCase(Locale.ROOT) + "-" + mode.name().toLowerCase(Locale.ROOT);
        List<String> lines = Files.readAllLines(work.resolve(tag + "-server.csv"));
        String header = lines.get(0);
        int peakQueue = Integer.parseInt(header.substring(header.indexOf("peak_queue=") + 11).split(" ")[0]);
        String queue = header.substring(header.indexOf("queue_every_10ms=") + 17).trim();
        int[] samples = queue.isEmpty() ? new int[0]
                : java.util.Arrays.stream(queue.split(";")).mapToInt(Integer::parseInt).toArray();
        List<LabServer.Attempt> attempts = new ArrayList<>();
        for (String line : lines.subList(2, lines.size())) {
            String[] f = line.split(",", -1);
            LabServer.Attempt a = new LabServer.Attempt(Long.parseLong(f[0]), Long.parseLong(f[2]),
                    LabServer.Kind.valueOf(f[1]));
            a.queueNanos = Long.parseLong(f[3]);
            a.serviceNanos = Long.parseLong(f[4]);
            a.status = Integer.parseInt(f[5]);
            a.delivered = Boolean.parseBoolean(f[6]);
            a.tags = f[7];
            attempts.add(a);
        }
        return new LabResult(mode, scenario, work.resolve(tag + ".csv"),
                new LabServer.ServerLog(attempts, peakQueue, samples));
    }

    private static void add(List<String> command, String name, String value) {
        command.add("--" + name);
        command.add(value);
    }
}
