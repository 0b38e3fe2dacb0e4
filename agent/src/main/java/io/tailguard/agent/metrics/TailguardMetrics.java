package io.tailguard.agent.metrics;

import io.tailguard.agent.Log;
import io.tailguard.agent.config.OtlpExport;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.HedgeDelay;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.agent.engine.RequestMetrics;
import io.tailguard.agent.server.ServerEngine;
import java.net.BindException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The agent's metrics: the engine's {@link RequestMetrics.Factory}, the periodic summary line, the
 * opt-in Prometheus endpoint and the opt-in OTLP push, all following the configuration in force (a
 * reload can turn each on, off or move it).
 *
 * <p>Startup cost: creating this and each policy's {@link PolicyMeters} loads a handful of small
 * classes and no Micrometer. Micrometer is loaded on the housekeeping thread the first time the
 * endpoint or the OTLP push is wanted (at the earliest {@link #STARTUP_DELAY_MILLIS} after the agent
 * started), and not at all while both are off: nothing else could read its registry. The OTLP
 * registry and its protobuf classes load only when the push is configured.
 * Counts never depend on it; only the latency timer starts with it (durations of requests that
 * finished while it loaded are buffered and handed over).
 */
public final class TailguardMetrics implements RequestMetrics.Factory {

    /**
     * How long after the agent starts the endpoint (and with it Micrometer) is brought up. Loading
     * Micrometer takes a few hundred classes from the agent jar; done at once, on a background
     * thread, it still delayed a tiny application's main method by ~40 ms on two cores (class
     * loading from one jar is serialised). Two seconds later it competes with nothing at startup;
     * a scrape in between finds the port closed, like a scrape of an application still starting.
     */
    static final long STARTUP_DELAY_MILLIS = 2000;

    /** {@link #hedgeDelayNanos} of a policy without hedging. */
    static final long NOT_HEDGING = -2;

    private final Engine engine;
    private final ScheduledExecutorService housekeeping;
    private final SummaryLog summary = new SummaryLog(this);
    private final long createdNanos = System.nanoTime();

    // Guarded by this.
    private final Map<String, PolicyMeters> policies = new LinkedHashMap<>();
    private MicrometerMeters micrometer;
    /** Whether the policies' meters are registered: once the first export (Prometheus, OTLP) is in place. */
    private boolean bound;
    /** Whether the server side's meters are registered: once it is configured and an export is in place. */
    private boolean serverBound;
    private boolean serverWanted;
    private boolean micrometerFailed;
    private int wantedPort;
    private String wantedAddress;
    private OtlpExport wantedOtlp = OtlpExport.OFF;
    private Duration summaryInterval = Duration.ZERO;
    private Future<?> summaryTask;

    // Confined to the housekeeping thread.
    private PrometheusEndpoint endpoint;
    private String endpointAt;
    private String failedAt;
    private OtlpPush otlp;
    private OtlpExport otlpAt = OtlpExport.OFF;

    /**
     * @param housekeeping a single daemon thread for the summary and for starting the endpoint;
     *     nothing on it is on a request's path
     */
    public TailguardMetrics(Engine engine, ScheduledExecutorService housekeeping) {
        this.engine = engine;
        this.housekeeping = housekeeping;
    }

    @Override
    public synchronized RequestMetrics forPolicy(String policy) {
        PolicyMeters meters = policies.get(policy);
        if (meters == null) {
            meters = new PolicyMeters(policy, (wantedPort > 0 || wantedOtlp.enabled()) && !micrometerFailed
                    ? new PendingDurations()
                    : DurationSink.NONE);
            policies.put(policy, meters);
            if (bound) {
                bind(meters);
            }
        }
        return meters;
    }

    /**
     * Follows a (new) configuration: starts, moves or stops the endpoint and the summary. Call it
     * before the engine is configured with the same configuration, so that policies created then
     * know whether to keep their durations for the timers.
     */
    public synchronized void apply(TailguardConfig config) {
        serverWanted |= config.enabled() && config.server().active();
        bindServer();
        Duration interval = config.metricsLogInterval();
        if (!interval.equals(summaryInterval)) {
            if (summaryTask != null) {
                summaryTask.cancel(false);
                summaryTask = null;
            }
            summaryInterval = interval;
            if (!interval.isZero()) {
                summary.restart(interval);
                long millis = interval.toMillis();
                summaryTask = housekeeping.scheduleAtFixedRate(summary, millis, millis, TimeUnit.MILLISECONDS);
            }
        }
        int port = config.prometheusPort();
        String address = config.prometheusAddress();
        boolean endpointChanged = port != wantedPort || !address.equals(wantedAddress);
        boolean otlpChanged = !config.otlp().equals(wantedOtlp);
        wantedPort = port;
        wantedAddress = address;
        wantedOtlp = config.otlp();
        if (endpointChanged || otlpChanged) {
            housekeeping.schedule(new Runnable() {
                @Override
                public void run() {
                    if (endpointChanged) {
                        updateEndpoint();
                    }
                    if (otlpChanged) {
                        updateOtlp();
                    }
                }
            }, Math.max(0, STARTUP_DELAY_MILLIS - (System.nanoTime() - createdNanos) / 1_000_000),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** On the housekeeping thread: starts, changes or stops the OTLP push as the configuration wants. */
    private void updateOtlp() {
        OtlpExport wanted;
        synchronized (this) {
            wanted = wantedOtlp;
        }
        if (wanted.equals(otlpAt)) {
            return;
        }
        if (otlp != null) {
            otlp.stop();
            otlp = null;
            Log.info("stopped pushing metrics over OTLP to " + otlpAt.endpoint());
        }
        otlpAt = wanted;
        if (!wanted.enabled()) {
            return;
        }
        MicrometerMeters meters = micrometer();
        if (meters == null) {
            return;
        }
        try {
            otlp = OtlpPush.start(meters, wanted);
            bindOnce();
            Log.info("pushing metrics over OTLP to " + wanted);
        } catch (Exception | LinkageError e) {
            Log.error("cannot push metrics over OTLP to " + wanted.endpoint() + ": " + e + ". Requests are unaffected.");
        }
    }

    /** On the housekeeping thread: brings the endpoint in line with what the configuration wants. */
    private void updateEndpoint() {
        int port;
        String address;
        synchronized (this) {
            port = wantedPort;
            address = wantedAddress;
        }
        String at = address + ":" + port;
        if (at.equals(endpointAt)) {
            return;
        }
        if (endpoint != null) {
            endpoint.stop();
            endpoint = null;
            Log.info("stopped serving Prometheus metrics on " + endpointAt);
            endpointAt = null;
        }
        if (port <= 0) {
            failedAt = null;
            return;
        }
        if (at.equals(failedAt)) {
            // Already reported; two updates were queued for one change.
            return;
        }
        MicrometerMeters meters = micrometer();
        if (meters == null) {
            return;
        }
        try {
            meters.servePrometheus();
            bindOnce();
            endpoint = PrometheusEndpoint.start(address, port, meters::scrape);
            endpointAt = at;
            failedAt = null;
            Log.info("serving Prometheus metrics at http://" + hostInUrl(address) + ":" + endpoint.port()
                    + PrometheusEndpoint.PATH);
        } catch (BindException e) {
            failedAt = at;
            Log.error("cannot serve Prometheus metrics on " + at + ": " + e.getMessage() + " (port already in use, "
                    + "or the address is not local). Requests are unaffected; set tailguard.metrics.prometheus.port "
                    + "to a free port to expose the metrics.");
        } catch (Exception | LinkageError e) {
            failedAt = at;
            Log.error("cannot serve Prometheus metrics on " + at + ": " + e + ". Requests are unaffected.");
        }
    }

    /** On the housekeeping thread: the registry, created (slowly, outside the lock) on first use. */
    private MicrometerMeters micrometer() {
        synchronized (this) {
            if (micrometer != null || micrometerFailed) {
                return micrometer;
            }
        }
        MicrometerMeters created;
        try {
            created = new MicrometerMeters();
        } catch (Exception | LinkageError e) {
            Log.error("Micrometer could not start, so the Prometheus endpoint and the OTLP push stay off "
                    + "(requests are unaffected): " + e, e);
            synchronized (this) {
                micrometerFailed = true;
                for (PolicyMeters meters : policies.values()) {
                    meters.durations(DurationSink.NONE);
                }
            }
            return null;
        }
        synchronized (this) {
            micrometer = created;
            return created;
        }
    }

    /**
     * After an export was added to the registry: registers the policies' meters, the first time, and
     * hands the durations buffered so far to the timers. Not before, or the composite registry would
     * record them nowhere.
     */
    private synchronized void bindOnce() {
        if (!bound) {
            bound = true;
            for (PolicyMeters meters : policies.values()) {
                bind(meters);
            }
            bindServer();
        }
    }

    /**
     * Guarded by this: the server side's meters, once it was configured (a JVM that only calls out
     * gets none of its series) and an export is in place.
     */
    private void bindServer() {
        if (bound && serverWanted && !serverBound) {
            serverBound = true;
            micrometer.registerServer(engine.server());
        }
    }

    /** Guarded by this: registers the policy's meters and points its durations at the timers. */
    private void bind(PolicyMeters meters) {
        DurationSink timers = micrometer.register(meters, this::hedgeDelayMillis);
        DurationSink before = meters.durations();
        if (before instanceof PendingDurations) {
            ((PendingDurations) before).drainTo(timers);
        }
        meters.durations(timers);
    }

    /** The hedge delay a policy would use now, in ms; NaN when it does not hedge or is warming up. */
    double hedgeDelayMillis(String policy) {
        long nanos = hedgeDelayNanos(policy);
        return nanos < 0 ? Double.NaN : nanos / 1e6;
    }

    /**
     * @return the delay, {@link HedgeDelay#NO_HEDGE} while warming up, or {@link #NOT_HEDGING} when the
     *     policy does not hedge (or is no longer configured)
     */
    long hedgeDelayNanos(String policy) {
        PolicyRuntime runtime = engine.policy(policy);
        if (runtime == null || runtime.hedgeDelay() == null) {
            return NOT_HEDGING;
        }
        return runtime.hedgeDelay().delayNanos();
    }

    /**
     * The server side's counts, see {@link ServerEngine#counts}; {@code null} while nothing has
     * built the server side, which has then counted nothing.
     */
    long[] serverCounts() {
        ServerEngine server = engine.serverIfBuilt();
        return server == null ? null : server.counts();
    }

    synchronized List<PolicyMeters> policies() {
        return new ArrayList<>(policies.values());
    }

    private static String hostInUrl(String address) {
        return address.indexOf(':') >= 0 && !address.startsWith("[") ? "[" + address + "]" : address;
    }
}
