package io.tailguard.bench.overhead;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.report.Machine;
import io.tailguard.bench.report.Markdown;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Cost as the work grows. The engine's throughput with 1, 2, 4 and 8 threads handling calls at
 * once ({@link EngineBenchmark}, one policy shared by all threads: its budget, backoff and hedge
 * delay are the state they contend on); and the heap one policy keeps as its rate grows to
 * 10,000 requests a second ({@link PolicyHeapApp}).
 */
public final class ScalingRun {

    private static final int[] THREADS = {1, 2, 4, 8};
    private static final int[] RATES = {100, 1_000, 10_000};

    private final RunOptions options;
    /** policy -> threads -> ops/µs (all threads together). */
    private final Map<String, Map<Integer, Double>> throughput = new LinkedHashMap<>();
    private final List<String[]> heap = new ArrayList<>();

    public ScalingRun(RunOptions options) {
        this.options = options;
    }

    public Markdown run(Markdown md) throws Exception {
        double loadBefore = Machine.loadAverage();
        long started = System.nanoTime();
        for (String policy : List.of("retry-tagging", "hedging")) {
            Map<Integer, Double> byThreads = new LinkedHashMap<>();
            for (int threads : THREADS) {
                System.out.printf("[scaling] engine, %s, %d threads%n", policy, threads);
                byThreads.put(threads, engineThroughput(policy, threads));
            }
            throughput.put(policy, byThreads);
        }
        int seconds = options.quick ? 3 : 10;
        measureHeap(seconds);
        md.heading(2, "Cost as the work grows");
        md.paragraph(String.format("Engine alone (`EngineBenchmark`, one policy shared by every thread), JMH throughput, "
                + "one fork, %s. This machine has %d cores: above that, threads share them, and the question is only "
                + "whether throughput holds or collapses (a contended CAS, such as the policy's backoff state updated on "
                + "every outcome, would make it fall as threads are added). %.1f min; load average %.2f before, %.2f after.",
                options.quick ? "3 × 1 s measurement" : "5 × 2 s measurement", Runtime.getRuntime().availableProcessors(),
                (System.nanoTime() - started) / 60e9, loadBefore, Machine.loadAverage()));
        Markdown.Table t = md.table("-policy", "1 thread: calls/s", "2 threads", "4 threads", "8 threads");
        for (Map.Entry<String, Map<Integer, Double>> e : throughput.entrySet()) {
            List<Object> cells = new ArrayList<>();
            cells.add(e.getKey());
            for (int threads : THREADS) {
                cells.add(Markdown.num(e.getValue().get(threads) * 1e6, 0));
            }
            t.row(cells.toArray());
        }
        t.end();
        md.paragraph("Heap one policy keeps (tagging, and a hedge delay learned as the p95 of its sliding window), "
                + "measured after a full GC before and after " + seconds + " s of handled calls at each rate, in a JVM of "
                + "its own (`PolicyHeapApp`).");
        Markdown.Table h = md.table("-requests/s", "calls", "heap kept after the load, KB");
        for (String[] row : heap) {
            h.row(row[0], row[1], Markdown.num(Long.parseLong(row[2]) / 1024.0, 1));
        }
        h.end();
        return md;
    }

    private double engineThroughput(String policy, int threads) throws Exception {
        OptionsBuilder builder = new OptionsBuilder();
        builder.include(EngineBenchmark.class.getName() + ".handledCall")
                .param("policy", policy)
                .mode(org.openjdk.jmh.annotations.Mode.Throughput)
                .timeUnit(TimeUnit.MICROSECONDS)
                .threads(threads)
                .forks(1)
                .warmupIterations(options.quick ? 2 : 3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(options.quick ? 3 : 5)
                .measurementTime(TimeValue.seconds(options.quick ? 1 : 2))
                .jvm(options.java)
                .jvmArgs("-Xms512m", "-Xmx512m");
        RunResult result = new Runner(builder.build()).runSingle();
        return result.getPrimaryResult().getScore();
    }

    private void measureHeap(int seconds) throws Exception {
        List<String> command = new ArrayList<>(List.of(options.java, "-Xms256m", "-Xmx256m", "-cp",
                RunOptions.ownJar().toString(), PolicyHeapApp.class.getName(), Integer.toString(seconds)));
        for (int rate : RATES) {
            command.add(Integer.toString(rate));
        }
        System.out.println("[scaling] heap per policy at " + java.util.Arrays.toString(RATES) + " requests/s");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder other = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ");
                if (f[0].equals("heap") && f.length == 4) {
                    heap.add(new String[] {f[1], f[2], f[3]});
                } else {
                    other.append(line).append('\n');
                }
            }
        }
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0 || heap.size() != RATES.length) {
            process.destroyForcibly();
            throw new IllegalStateException("the heap run failed: " + other);
        }
    }
}
