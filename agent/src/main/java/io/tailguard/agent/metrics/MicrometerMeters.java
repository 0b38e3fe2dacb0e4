package io.tailguard.agent.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.RequestMetrics.RequestOutcome;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.agent.server.ServerKind;
import io.tailguard.agent.server.ServerOutcome;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * The agent's Micrometer registry (relocated inside the agent jar, so it never meets the
 * application's own Micrometer) and the meters of SPEC section 8, each tagged {@code policy}.
 * With {@link OtlpPush}, the only classes that name a Micrometer type: it is loaded on a background
 * thread when the Prometheus endpoint or the OTLP push is first wanted, never on the startup path.
 * The meters live in a composite registry; the Prometheus registry and the OTLP one are added to it
 * when wanted, so both see the same meters under the same names.
 *
 * <p>The counters are Micrometer function counters over {@link PolicyMeters}' adders, so they show
 * every request since the agent started, including those before this class was loaded. Every tag
 * combination is registered up front at zero, so that a rate over the first increment is not lost
 * (Prometheus' rate needs a previous sample).
 *
 * <p>The timer publishes percentiles computed in this JVM over Micrometer's sliding window (about
 * two minutes), exported as a Prometheus summary with {@code quantile} labels: readable as they
 * are, and four series per outcome instead of a histogram's seventy. They cannot be aggregated
 * across instances; the dashboard shows the worst instance.
 */
final class MicrometerMeters {

    static final String POLICY = "policy";
    private static final double[] PERCENTILES = {0.5, 0.9, 0.95, 0.99};

    private final CompositeMeterRegistry registry;
    private volatile PrometheusMeterRegistry prometheus;

    MicrometerMeters() {
        MicrometerLogBridge.install();
        registry = new CompositeMeterRegistry();
    }

    /** Adds the Prometheus registry, once, before the endpoint first serves. */
    synchronized void servePrometheus() {
        if (prometheus == null) {
            PrometheusMeterRegistry created = new PrometheusMeterRegistry(new AgentPrometheusConfig());
            registry.add(created);
            prometheus = created;
        }
    }

    /** Another registry that gets every meter, those registered already included. */
    synchronized void add(MeterRegistry child) {
        registry.add(child);
    }

    synchronized void remove(MeterRegistry child) {
        registry.remove(child);
    }

    /** Registers a policy's meters and returns the sink for its request durations. */
    DurationSink register(PolicyMeters policy, ToDoubleFunction<String> hedgeDelayMillis) {
        String name = policy.policy();
        for (RequestOutcome outcome : PolicyMeters.OUTCOMES) {
            counter("tailguard.requests", "Logical requests, by how they ended for the application",
                    policy.requestCounter(outcome), name, "outcome", outcome.label());
        }
        // One description for every series of a meter: an OTLP registry groups series into one metric
        // by name and description.
        String attempts = "Attempts on the wire (shadow=false), or only decided in shadow mode (shadow=true)";
        for (AttemptKind kind : PolicyMeters.KINDS) {
            counter("tailguard.attempts", attempts, policy.attemptCounter(kind, false), name, "kind", kind.label(),
                    "shadow", "false");
            if (kind != AttemptKind.PRIMARY) {
                counter("tailguard.attempts", attempts, policy.attemptCounter(kind, true), name, "kind", kind.label(),
                        "shadow", "true");
                counter("tailguard.budget.refused", "Retries and hedges the retry budget refused",
                        policy.refusalCounter(kind), name, "kind", kind.label());
            }
            counter("tailguard.hedge.wins", "Hedged requests, by the kind of attempt whose response won",
                    policy.hedgeWinCounter(kind), name, "winner", kind.label());
            counter("tailguard.attempts.not.sent", "Attempts counted in tailguard.attempts that never left: the "
                    + "client's pool failed their wait for a connection (a hedge takes one only within 10 ms)",
                    policy.notSentCounter(kind), name, "kind", kind.label());
        }
        counter("tailguard.buffer.committed", "Retryable responses too large to hold: the request was committed "
                + "to them, streamed to the application, and not retried", policy.bufferCommittedCounter(), name);
        Gauge.builder("tailguard.hedge.delay", name, hedgeDelayMillis)
                .description("Current delay before a hedge; NaN while the latency window is warming up or "
                        + "when the policy does not hedge")
                .baseUnit("milliseconds")
                .tag(POLICY, name)
                .strongReference(true)
                .register(registry);
        Timer[] timers = new Timer[PolicyMeters.OUTCOMES.length];
        for (RequestOutcome outcome : PolicyMeters.OUTCOMES) {
            timers[outcome.ordinal()] = Timer.builder("tailguard.request.duration")
                    .description("Logical request latency as the application saw it, all attempts included")
                    .tags(POLICY, name, "outcome", outcome.label())
                    .publishPercentiles(PERCENTILES)
                    .register(registry);
        }
        return new TimerSink(timers);
    }

    /**
     * The server side's meters: requests by kind and outcome (shadow-only outcomes labelled
     * {@code shadow=true}), the handler time saved, and the sizes of its tables.
     */
    void registerServer(ServerEngine server) {
        String description = "Requests this JVM served, by what the request said it was and what the server side did "
                + "with it (shadow=true: would have done, in shadow mode; the handler ran)";
        for (ServerKind kind : ServerKind.values()) {
            for (ServerOutcome outcome : ServerOutcome.values()) {
                for (boolean shadow : new boolean[] {false, true}) {
                    if (shadow && outcome == ServerOutcome.HANDLED) {
                        continue;
                    }
                    FunctionCounter.builder("tailguard.server.requests", server,
                            s -> s.requests(kind, outcome, shadow))
                            .description(description)
                            .tags("kind", kind.label(), "outcome", outcome.label(), "shadow", Boolean.toString(shadow))
                            .register(registry);
                }
            }
        }
        FunctionCounter.builder("tailguard.server.handler.saved", server, s -> s.savedNanos() / 1e9)
                .description("Handler time not spent because an attempt got a copy or a replay of another's response")
                .baseUnit("seconds")
                .register(registry);
        gauge("tailguard.server.concurrency", "Requests in the server's handlers now (what shedding compares)",
                server, ServerEngine::concurrency, null);
        gauge("tailguard.server.tracked", "Entries of the in-flight table (requests others may join)", server,
                ServerEngine::inFlightEntries, null);
        gauge("tailguard.server.replay.entries", "Responses kept for Idempotency-Key replay", server,
                ServerEngine::replayEntries, null);
        gauge("tailguard.server.replay", "Bytes of responses kept for Idempotency-Key replay", server,
                ServerEngine::replayBytes, "bytes");
    }

    private void gauge(String name, String description, ServerEngine server, ToDoubleFunction<ServerEngine> value,
            String unit) {
        Gauge.builder(name, server, value).description(description).baseUnit(unit).strongReference(true)
                .register(registry);
    }

    /** The Prometheus text exposition format (0.0.4). */
    String scrape() {
        PrometheusMeterRegistry serving = prometheus;
        return serving == null ? "" : serving.scrape();
    }

    private void counter(String meter, String description, LongAdder count, String policy, String... tags) {
        FunctionCounter.builder(meter, count, LongAdder::doubleValue)
                .description(description)
                .tag(POLICY, policy)
                .tags(tags)
                .register(registry);
    }

    private static final class TimerSink implements DurationSink {
        private final Timer[] timers;

        TimerSink(Timer[] timers) {
            this.timers = timers;
        }

        @Override
        public void record(int outcome, long nanos) {
            timers[outcome].record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    private static final class AgentPrometheusConfig implements PrometheusConfig {
        @Override
        public String get(String key) {
            return null;
        }

        /** Micrometer's default turns exemplars on for all meter types; without tracing there are none. */
        @Override
        public Properties prometheusProperties() {
            return new Properties();
        }
    }
}
