package io.tailguard.bench.overhead;

import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Clock;
import io.tailguard.agent.engine.DaemonThreads;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.agent.engine.RandomSource;
import io.tailguard.agent.engine.TimerScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the engine itself costs per handled call, without a client or a network around it: policy
 * lookup, the execution, the budget deposit, the tagging headers (request id included), the
 * attempt, and for {@code hedging} arming and cancelling the hedge timer. The client double answers
 * on the calling thread after {@code start()} returns, as a real response arrives after the
 * attempt was sent, so the hedge timer really is armed and then cancelled. Round trips on this
 * machine vary by far more than the microseconds the targets are about; this is measured alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EngineBenchmark {

    private static final Object RESPONSE = new Object();

    @Param({"retry-tagging", "hedging"})
    public String policy;

    private Engine engine;

    /** Each benchmark thread's own client double: one request in flight per thread. */
    @State(Scope.Thread)
    public static class PerThread {
        final Answering exchange = new Answering();
    }

    @Setup
    public void start() throws Exception {
        engine = configured(policy.equals("hedging") ? "tailguard.policy.api.hedge.delay=1s\n" : "");
    }

    /** An engine as the agent builds it, with one tagging policy for 127.0.0.1 and {@code more} settings. */
    static Engine configured(String more) throws Exception {
        Path file = Files.createTempFile("tailguard-engine-bench", ".properties");
        String config = "tailguard.policy.api.hosts=127.0.0.1\ntailguard.policy.api.tagging=true\n" + more;
        Files.writeString(file, config);
        TailguardConfig parsed = new ConfigSources(file.toString(), Map.of(), new Properties()).load();
        Files.delete(file);
        Engine engine = new Engine(Clock.SYSTEM, new TimerScheduler(), DaemonThreads.workers(),
                RandomSource.THREAD_LOCAL, failure -> { });
        engine.configure(parsed);
        return engine;
    }

    /** One handled call of {@code engine} through {@code exchange}, answered at once with 200. */
    static Object call(Engine engine, Answering exchange) {
        PolicyRuntime runtime = engine.policyFor("127.0.0.1", 80);
        Execution<Object> execution = engine.newExecution(runtime, exchange, false);
        try {
            execution.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        exchange.listener.onResponse(RESPONSE);
        return execution.result().join();
    }

    @Benchmark
    public Object handledCall(PerThread own) {
        return call(engine, own.exchange);
    }

    /** A client double: records the attempt, and answers 200 when the benchmark says so. */
    static final class Answering implements Exchange<Object> {
        AttemptListener<Object> listener;

        @Override
        public String method() {
            return "GET";
        }

        @Override
        public boolean replayable() {
            return true;
        }

        @Override
        public String requestHeader(String name) {
            return null;
        }

        @Override
        public long clientTimeoutNanos() {
            return Long.MAX_VALUE;
        }

        @Override
        public Attempt send(AttemptSpec spec, AttemptListener<Object> listener, Executor blockingWork) {
            this.listener = listener;
            return () -> { };
        }

        @Override
        public int status(Object response) {
            return 200;
        }

        @Override
        public String responseHeader(Object response, String name) {
            return null;
        }

        @Override
        public FailureKind classify(Throwable failure) {
            return FailureKind.OTHER;
        }

        @Override
        public void discard(Object response) {
        }

        @Override
        public Throwable timeoutFailure(Duration timeout) {
            return new IllegalStateException("timeout");
        }

        @Override
        public Throwable cancelledFailure() {
            return new IllegalStateException("cancelled");
        }
    }
}
