package io.tailguard.bench.overhead;

import io.tailguard.bootstrap.Dispatcher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Exactly what the agent's prologue adds to {@code HttpClient.send} for a host no policy matches:
 * the argument array, {@link Dispatcher#enter}, the interceptor's policy lookup, and the
 * {@code PROCEED} check. Too small to see next to a round trip, so it is measured on its own. Run
 * only where that is safe: without the agent (the dispatcher has no interceptor) and with the
 * unmatched-host configuration (the interceptor passes the call through, nothing is sent).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HookBenchmark {

    private HttpClient client;
    private HttpRequest request;
    private HttpResponse.BodyHandler<String> handler;

    @Setup
    public void start() {
        client = HttpClient.newHttpClient();
        // Never sent: no policy matches 127.0.0.1 in the configurations this benchmark runs with.
        request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:9/never-sent")).build();
        handler = HttpResponse.BodyHandlers.ofString();
    }

    @Benchmark
    public boolean unmatchedHook() {
        Object decision = Dispatcher.enter(Dispatcher.JDK_SEND, client, new Object[] {request, handler});
        if (decision != Dispatcher.PROCEED) {
            throw new IllegalStateException("the dispatcher took over a call it should pass through: " + decision);
        }
        return true;
    }
}
