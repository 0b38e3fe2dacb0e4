package io.tailguard.agent;

import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.Clock;
import io.tailguard.agent.engine.DaemonThreads;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.RandomSource;
import io.tailguard.agent.engine.TimerScheduler;
import io.tailguard.agent.metrics.TailguardMetrics;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Builds the engine, its metrics and the configuration watcher on the housekeeping thread, while
 * the application goes on starting. Nothing the JVM runs before the first hooked class needs them:
 * premain returns as soon as the hooks are in place, and on a machine with a spare core this work
 * (about a third of what premain took) no longer delays the application. The first rewritten class
 * of a client waits for it, since that client's interceptors need the engine ({@link
 * InstallOnFirstHook}); by then it is nearly always done, as the rewriting itself takes longer.
 *
 * <p>Fail open: if the engine cannot be built, or is not built within {@link #WAIT_SECONDS} (a
 * deadlock we did not foresee, say), {@link #get()} answers {@code null}, the client's class is
 * left as it was and its requests pass through.
 */
final class EngineStart implements Runnable, Supplier<Engine> {

    /** How long a client's first rewritten class waits for the engine. */
    static final long WAIT_SECONDS = 10;

    private final ConfigSources sources;
    private final TailguardConfig config;
    private final InternalFailures failures;
    private final ScheduledExecutorService housekeeping;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Engine engine;
    private volatile ConfigWatcher watcher;
    /** The thread building the engine, once it has begun. */
    private volatile Thread builder;

    private EngineStart(ConfigSources sources, TailguardConfig config, InternalFailures failures,
            ScheduledExecutorService housekeeping) {
        this.sources = sources;
        this.config = config;
        this.failures = failures;
        this.housekeeping = housekeeping;
    }

    /** Starts building on {@code housekeeping}, the thread the metrics and the watcher use afterwards. */
    static EngineStart begin(ConfigSources sources, TailguardConfig config, InternalFailures failures,
            ScheduledExecutorService housekeeping) {
        EngineStart start = new EngineStart(sources, config, failures, housekeeping);
        housekeeping.execute(start);
        return start;
    }

    @Override
    public void run() {
        builder = Thread.currentThread();
        try {
            Engine built = new Engine(Clock.SYSTEM, new TimerScheduler(), DaemonThreads.workers(),
                    RandomSource.THREAD_LOCAL, failures);
            TailguardMetrics metrics = new TailguardMetrics(built, housekeeping);
            built.useMetrics(metrics);
            if (config != null) {
                metrics.apply(config);
                built.configure(config);
            }
            watcher = ConfigWatcher.start(sources, config, built, metrics, housekeeping);
            engine = built;
        } catch (Throwable failure) {
            Log.error("the engine could not start; requests pass through untouched", failure);
        } finally {
            done.countDown();
        }
    }

    /** The engine, configured, once it is built; {@code null} if it could not be. */
    @Override
    public Engine get() {
        return await() ? engine : null;
    }

    /** The configuration watcher, once the engine is built; {@code null} if it could not be. */
    ConfigWatcher watcher() {
        return await() ? watcher : null;
    }

    private boolean await() {
        if (Thread.currentThread() == builder && done.getCount() > 0) {
            // Asked by the build itself (a hooked class its construction loads): waiting would only
            // time out. That class is left as it was; the next one installs the client.
            return false;
        }
        try {
            if (done.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                return true;
            }
            Log.warn("the engine did not start within " + WAIT_SECONDS + " s; requests pass through untouched");
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        return false;
    }
}
