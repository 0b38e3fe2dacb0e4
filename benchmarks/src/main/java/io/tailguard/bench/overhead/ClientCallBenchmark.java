package io.tailguard.bench.overhead;

import io.tailguard.bench.clients.BenchClient;
import io.tailguard.bench.clients.BenchClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One blocking GET through a real client to a server on 127.0.0.1, body read to the end: the
 * call an application makes. The runner forks this benchmark without the agent and with it (in
 * each configuration of {@link Variant}) and divides.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ClientCallBenchmark {

    @Param({"jdk"})
    public String client;

    @Param({"fast", "mockwebserver"})
    public String server;

    private BenchServer benchServer;
    private BenchClient benchClient;
    private String url;

    @Setup(Level.Trial)
    public void start() throws Exception {
        benchServer = BenchServer.start(server);
        benchClient = BenchClients.create(client);
        url = benchServer.url();
        int status = benchClient.get(url, null, BenchClient.NO_HEADERS);
        if (status != 200) {
            throw new IllegalStateException("the benchmark server answered " + status);
        }
        reportWhetherHandled();
    }

    @Benchmark
    public int call() throws Exception {
        return benchClient.get(url, null, BenchClient.NO_HEADERS);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        benchClient.close();
        benchServer.close();
    }

    /**
     * Tells the runner whether the agent handled the calls (the tagging header reached the
     * server), so that a client the agent does not instrument yet is reported as such.
     */
    private void reportWhetherHandled() throws Exception {
        String dir = System.getProperty("bench.probe.dir");
        if (dir == null) {
            return;
        }
        Path file = Paths.get(dir, System.getProperty("bench.variant", "NO_AGENT") + "-" + client + "-" + server);
        Files.createDirectories(file.getParent());
        Files.writeString(file, Boolean.toString(benchServer.sawTagging));
    }
}
