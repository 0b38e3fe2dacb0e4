package io.tailguard.agent.engine;

import io.tailguard.agent.config.BudgetConfig;
import io.tailguard.agent.config.Mode;
import io.tailguard.agent.config.PolicyConfig;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.server.ServerEngine;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The client-blind core: it holds the configuration in force and each policy's state, and turns
 * a client adapter's {@link Exchange} into an {@link Execution}. It knows nothing of any client.
 */
public final class Engine {

    /** The header that makes any method retryable when {@code retry.idempotency-key} is on. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final Clock clock;
    private final Scheduler scheduler;
    private final Executor workers;
    private final RandomSource random;
    private final Consumer<Throwable> internalFailures;
    private final BufferBudget buffers = new BufferBudget(0);
    /**
     * The server side, made when first asked for (a server's instrumentation, the metrics of one):
     * an application that serves nothing the agent handles never builds it. Written under this.
     */
    private volatile ServerEngine server;
    private final Map<String, RequestMetrics> metricsByPolicy = new ConcurrentHashMap<>();
    private volatile RequestMetrics.Factory metricsFactory = RequestMetrics.Factory.NONE;
    private volatile Snapshot snapshot;

    /**
     * The engine's classes that the first handled request loads, by name (some are private to the
     * class that uses them). {@link #loadRequestPath} loads them ahead of it.
     */
    static final List<String> REQUEST_PATH = List.of(
            "io.tailguard.agent.config.HostMatcher$Ports",
            "io.tailguard.agent.engine.Exchange$Attempt",
            "io.tailguard.agent.engine.Exchange$AttemptListener",
            "io.tailguard.agent.engine.FaultInjection",
            "io.tailguard.agent.engine.Execution",
            "io.tailguard.agent.engine.Execution$Result",
            "io.tailguard.agent.engine.Execution$AttemptState",
            "io.tailguard.agent.engine.Execution$Actions",
            "io.tailguard.agent.engine.AttemptSpec",
            "io.tailguard.agent.engine.Scheduler$Cancellable$1",
            "io.tailguard.agent.engine.RequestIds",
            "io.tailguard.agent.engine.CallerRuns",
            "io.tailguard.agent.engine.AttemptHeaders",
            "io.tailguard.agent.engine.AttemptHeaders$1",
            "io.tailguard.agent.engine.AttemptHeaders$1$1",
            "io.tailguard.agent.engine.HeaderDecision");

    /**
     * Loads, links and initialises the classes of {@link #REQUEST_PATH} (their static initialisers
     * only read constants and JVM options), so that the application's first handled request does
     * not: on the housekeeping thread after premain, this takes a few milliseconds off the first
     * response. A name that no longer exists is skipped; a test keeps the list current.
     */
    public static void loadRequestPath() {
        ClassLoader loader = Engine.class.getClassLoader();
        for (String name : REQUEST_PATH) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError renamed) {
                // Only time is lost: the first request loads what it uses.
            }
        }
    }

    public Engine(Clock clock, Scheduler scheduler, Executor workers, RandomSource random,
            Consumer<Throwable> internalFailures) {
        this.clock = clock;
        this.scheduler = scheduler;
        this.workers = workers;
        this.random = random;
        this.internalFailures = internalFailures;
    }

    /** Puts a configuration in force for requests that start from now on. */
    public synchronized void configure(TailguardConfig config) {
        Snapshot previous = snapshot;
        RetryBudget global = previous != null && previous.globalBudget.config().equals(config.budget())
                ? previous.globalBudget : new RetryBudget(config.budget(), clock);
        Map<String, PolicyRuntime> policies = new HashMap<>();
        for (PolicyConfig policy : config.policies()) {
            PolicyRuntime old = previous == null ? null : previous.policies.get(policy.name());
            policies.put(policy.name(), runtime(policy, old, global));
        }
        buffers.maxTotal(config.bufferLimits().maxTotalBytes());
        ServerEngine s = server;
        if (s != null) {
            s.configure(config);
        }
        snapshot = new Snapshot(config, global, policies);
    }

    private PolicyRuntime runtime(PolicyConfig policy, PolicyRuntime old, RetryBudget global) {
        HedgeDelay hedgeDelay = null;
        if (policy.hedge() != null) {
            hedgeDelay = old != null && old.hedgeDelay() != null && old.hedgeDelay().config().equals(policy.hedge())
                    ? old.hedgeDelay() : new HedgeDelay(policy.hedge(), clock);
        }
        Backoff backoff = old != null && old.backoff().sameSettings(policy) ? old.backoff() : new Backoff(policy);
        RetryBudget budget = global;
        BudgetConfig own = policy.budget();
        if (own != null) {
            budget = old != null && old.config().budget() != null && old.budget().config().equals(own)
                    ? old.budget() : new RetryBudget(own, clock);
        }
        return new PolicyRuntime(policy, hedgeDelay, backoff, budget, metricsFor(policy.name()));
    }

    /** Installs the meters; policies already configured get theirs at once. */
    public synchronized void useMetrics(RequestMetrics.Factory factory) {
        metricsFactory = factory;
        metricsByPolicy.clear();
        if (snapshot != null) {
            configure(snapshot.config);
        }
    }

    private RequestMetrics metricsFor(String policy) {
        RequestMetrics metrics = metricsByPolicy.get(policy);
        if (metrics == null) {
            metrics = metricsFactory.forPolicy(policy);
            metricsByPolicy.put(policy, metrics);
        }
        return metrics;
    }

    /** The configuration in force, or {@code null} before the first one. */
    public TailguardConfig config() {
        Snapshot s = snapshot;
        return s == null ? null : s.config;
    }

    /**
     * The policy of this name in the configuration in force (its current hedge delay, say), or
     * {@code null} when there is none.
     */
    public PolicyRuntime policy(String name) {
        Snapshot s = snapshot;
        return s == null ? null : s.policies.get(name);
    }

    /** @return the policy for a request to this host and port, or {@code null} to pass it through */
    public PolicyRuntime policyFor(String host, int port) {
        Snapshot s = snapshot;
        if (s == null) {
            return null;
        }
        PolicyConfig policy = s.config.policyFor(host, port);
        return policy == null ? null : s.policies.get(policy.name());
    }

    /**
     * @param blockingCaller whether the application's thread will wait in {@link Execution#await}
     * @return the execution, or {@code null} when the policy can do nothing for this request (it
     *     may not be retried or hedged and is not tagged): the client then sends it untouched
     */
    public <R> Execution<R> newExecution(PolicyRuntime policy, Exchange<R> exchange, boolean blockingCaller) {
        if (FaultInjection.AT_START) {
            FaultInjection.fail("before the first attempt");
        }
        Snapshot s = snapshot;
        PolicyConfig config = policy.config();
        String method = exchange.method();
        boolean mayRetry = mayRetry(config, method, exchange.requestHeader(IDEMPOTENCY_KEY) != null);
        boolean mayHedge = mayHedge(config, method);
        if (mayRetry || mayHedge) {
            boolean replayable = exchange.replayable();
            mayRetry &= replayable;
            mayHedge &= replayable && exchange.hedgeable();
        }
        if (!mayRetry && !mayHedge && !Execution.tagged(config, s.config)) {
            return null;
        }
        return new Execution<>(this, policy, exchange, s.config, mayRetry, mayHedge, blockingCaller);
    }

    /**
     * Whether the policy may send a request with this method (and an {@code Idempotency-Key} or
     * not) more than once, should its body allow it: a client that would have to hold a body to
     * send it again asks before it holds anything. Never in shadow mode, which sends every request once.
     */
    public boolean mayRepeat(PolicyRuntime policy, String method, boolean idempotencyKey) {
        Snapshot s = snapshot;
        if (s == null || s.config.mode() == Mode.SHADOW) {
            return false;
        }
        PolicyConfig config = policy.config();
        return mayRetry(config, method, idempotencyKey) || mayHedge(config, method);
    }

    private static boolean mayRetry(PolicyConfig config, String method, boolean idempotencyKey) {
        boolean repeatable = config.retryMethods().contains(method) || config.retryIdempotencyKey() && idempotencyKey;
        return config.maxAttempts() > 1 && repeatable;
    }

    private static boolean mayHedge(PolicyConfig config, String method) {
        return config.hedge() != null && config.hedge().methods().contains(method);
    }

    Clock clock() {
        return clock;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    Executor workers() {
        return workers;
    }

    /**
     * The server side: what the agent does with requests this JVM serves, configured as the
     * engine is.
     */
    public ServerEngine server() {
        ServerEngine s = server;
        return s != null ? s : makeServer();
    }

    /**
     * The server side if something has asked for it ({@link #server}), or {@code null}: what only
     * reads it, as the summary log does, need not build it in an application that serves nothing.
     */
    public ServerEngine serverIfBuilt() {
        return server;
    }

    private synchronized ServerEngine makeServer() {
        if (server == null) {
            ServerEngine s = new ServerEngine(clock, new FailureReport(this));
            Snapshot current = snapshot;
            if (current != null) {
                s.configure(current.config);
            }
            server = s;
        }
        return server;
    }

    /** The bytes of retryable responses held JVM-wide. */
    public BufferBudget buffers() {
        return buffers;
    }

    RandomSource random() {
        return random;
    }

    void reportInternalFailure(Throwable failure) {
        try {
            internalFailures.accept(failure);
        } catch (Throwable ignored) {
            // Reporting must never fail a request.
        }
    }

    /**
     * Hands the server side's internal failures to {@link #reportInternalFailure}: a class, where a
     * method reference would spin a lambda's class as the engine is built at startup.
     */
    private static final class FailureReport implements Consumer<Throwable> {
        private final Engine engine;

        FailureReport(Engine engine) {
            this.engine = engine;
        }

        @Override
        public void accept(Throwable failure) {
            engine.reportInternalFailure(failure);
        }
    }

    private static final class Snapshot {
        final TailguardConfig config;
        final RetryBudget globalBudget;
        final Map<String, PolicyRuntime> policies;

        Snapshot(TailguardConfig config, RetryBudget globalBudget, Map<String, PolicyRuntime> policies) {
            this.config = config;
            this.globalBudget = globalBudget;
            this.policies = policies;
        }
    }
}
