package io.tailguard.bench.lab;

import io.tailguard.bench.RunOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lab server in a JVM of its own, for runs whose server must carry the agent (Tailguard on both
 * ends) or whose server's CPU is measured: the same {@link LabServer} on the JDK's server, with its
 * brownout on the shared timeline (both JVMs turn the same wall-clock start into their own
 * {@code nanoTime}). Once its JVM is up it says so and reads, on its standard input, when the load
 * starts (so that however long the JVM took to start, the load starts after it did); it prints its
 * URL, serves until told to stop, then writes its {@link LabServer.ServerLog}, with the process's
 * CPU time since the end of the warm-up, for the benchmark to read.
 *
 * <p>Arguments ({@code --name value}): scenario, quick (true|false), seed, log (the file to write).
 * Standard input: {@code start-at MILLIS} (epoch millis when the load starts), later {@code stop}.
 */
public final class LabServerProcess implements AutoCloseable {

    private static final String READY_LINE = "lab-server ready";
    private static final String URL_LINE = "lab-server url ";
    private static final String START_AT = "start-at ";
    private static final String STOP = "stop";

    private final Process process;
    private final Writer commands;
    private final Path log;
    private final String url;
    private final long startAt;

    private LabServerProcess(Process process, Writer commands, Path log, String url, long startAt) {
        this.process = process;
        this.commands = commands;
        this.log = log;
        this.url = url;
        this.startAt = startAt;
    }

    /**
     * Starts the server's JVM and waits until it serves.
     *
     * @param jvmArgs options for the server's JVM ({@code -javaagent:...} when it carries the agent)
     * @param leadMillis how long after the server is up the load starts
     * @param output where the server JVM's own output goes
     */
    static LabServerProcess start(String java, List<String> jvmArgs, Scenario scenario, boolean quick, long seed,
            long leadMillis, Path log, Path output) throws IOException, InterruptedException {
        Files.deleteIfExists(log);
        List<String> command = new ArrayList<>();
        command.add(java);
        command.add("-Xmx256m");
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(RunOptions.ownJar().toString());
        command.add("io.tailguard.bench.BenchMain");
        command.add("lab-server");
        for (String[] arg : new String[][] {{"scenario", scenario.name}, {"quick", Boolean.toString(quick)},
                {"seed", Long.toString(seed)}, {"log", log.toString()}}) {
            command.add("--" + arg[0]);
            command.add(arg[1]);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread copier = new Thread(() -> copyOutput(process, output, ready, url), "lab-server-output");
        copier.setDaemon(true);
        copier.start();
        Writer commands = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        try {
            ready.get(60, TimeUnit.SECONDS);
            long startAt = System.currentTimeMillis() + leadMillis;
            commands.write(START_AT + startAt + "\n");
            commands.flush();
            return new LabServerProcess(process, commands, log, url.get(60, TimeUnit.SECONDS), startAt);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
            throw new IOException("the lab server did not start; see " + output, e);
        }
    }

    /** Copies the server JVM's output to a file, noting when it is up and the URL it announces. */
    private static void copyOutput(Process process, Path output, CompletableFuture<Void> ready,
            CompletableFuture<String> url) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)); Writer out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith(READY_LINE)) {
                    ready.complete(null);
                } else if (line.startsWith(URL_LINE)) {
                    url.complete(line.substring(URL_LINE.length()).trim());
                }
                out.write(line);
                out.write('\n');
                out.flush();
            }
        } catch (IOException e) {
            ready.completeExceptionally(e);
            url.completeExceptionally(e);
        }
        ready.completeExceptionally(new IOException("the lab server exited"));
        url.completeExceptionally(new IOException("the lab server exited"));
    }

    String url() {
        return url;
    }

    /** When the load starts, in epoch millis: the application's JVM gets the same. */
    long startAt() {
        return startAt;
    }

    /** Stops the server and reads what it saw. */
    LabServer.ServerLog stop() throws IOException, InterruptedException {
        try (Writer in = commands) {
            in.write(STOP + "\n");
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || !Files.exists(log)) {
            throw new IOException("the lab server did not write its log " + log);
        }
        return LabServer.ServerLog.read(log);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** The server's JVM. */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        boolean quick = Boolean.parseBoolean(a.get("quick"));
        Scenario scenario = Scenario.named(a.get("scenario"), quick);
        System.out.println(READY_LINE);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String first = in.readLine();
        if (first == null || !first.startsWith(START_AT)) {
            throw new IllegalArgumentException("expected " + START_AT + "MILLIS, got " + first);
        }
        long startAt = Long.parseLong(first.substring(START_AT.length()).trim());
        long origin = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startAt - System.currentTimeMillis());
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        AtomicLong cpuAtMeasureStart = new AtomicLong(-1);
        ScheduledExecutorService timeline = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lab-timeline");
            t.setDaemon(true);
            return t;
        });
        try (LabServer server = scenario.newServer(Long.parseLong(a.get("seed")), origin, true)) {
            scenario.scheduleBrownout(server, origin, timeline);
            timeline.schedule(() -> cpuAtMeasureStart.set(os.getProcessCpuTime()),
                    origin + (long) (scenario.warmupSeconds * 1e9) - System.nanoTime(), TimeUnit.NANOSECONDS);
            System.out.println(URL_LINE + server.url());
            System.out.flush();
            for (String line = in.readLine(); line != null && !line.trim().toLowerCase(Locale.ROOT).equals(STOP);) {
                line = in.readLine();
            }
            long cpu = cpuAtMeasureStart.get() < 0 ? -1 : os.getProcessCpuTime() - cpuAtMeasureStart.get();
            server.log().withProcessCpu(cpu).write(Path.of(a.get("log")));
        } finally {
            timeline.shutdownNow();
        }
        System.exit(0);
    }
}
