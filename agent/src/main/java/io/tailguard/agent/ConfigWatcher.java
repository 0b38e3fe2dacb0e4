package io.tailguard.agent;

import io.tailguard.agent.config.ConfigParser;
import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.InvalidConfigException;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.metrics.TailguardMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Hot reload: re-reads the properties file every {@code tailguard.reload.interval} and, when its
 * content changed, puts a valid new version in force for new requests. An invalid version is
 * rejected with one error and the last good configuration stays. Comparing content rather than
 * modification times catches edits within the file system's timestamp granularity.
 *
 * <p>A changed file is read a second time {@value #SETTLE_MILLIS} ms later and only acted on when
 * both reads agree: an editor or {@code echo >} that truncates before it writes would otherwise be
 * caught half-way, and a half-written file is either an error the operator did not make or, worse,
 * a valid file with fewer policies. The new interval of a reloaded file takes effect at once.
 */
final class ConfigWatcher implements Runnable {

    static final long SETTLE_MILLIS = 50;
    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    private static final long MIN_INTERVAL_MILLIS = 100;

    private static final long ATTACH_WAIT_SECONDS = 30;

    private final Engine engine;
    private final TailguardMetrics metrics;
    private final ScheduledExecutorService executor;
    // Only touched on the housekeeping thread (the scheduled checks, and the attach requests
    // handed to it), one task at a time; set before the first task is scheduled.
    private ConfigSources sources;
    private Path file;
    private byte[] lastContent;
    private byte[] settling;
    private long intervalMillis;
    private boolean scheduled;

    ConfigWatcher(ConfigSources sources, Engine engine, TailguardMetrics metrics,
            ScheduledExecutorService executor, Path file, Duration interval) {
        this.sources = sources;
        this.engine = engine;
        this.metrics = metrics;
        this.executor = executor;
        this.file = file;
        // What the configuration in force was read from: a change made since is then seen by the
        // first check, even when this is created a moment after that read (on the housekeeping thread).
        byte[] loaded = sources.lastFileContent();
        this.lastContent = file == null ? null : loaded != null ? loaded : read(file);
        this.intervalMillis = interval.isZero() ? 0 : millis(interval);
    }

    /**
     * @param config the configuration loaded at startup, or {@code null} when it was invalid
     * @param executor the housekeeping thread the checks run on
     * @return the watcher, watching the file when there is one and reload is on
     */
    static ConfigWatcher start(ConfigSources sources, TailguardConfig config, Engine engine, TailguardMetrics metrics,
            ScheduledExecutorService executor) {
        Duration interval = config == null ? DEFAULT_INTERVAL : config.reloadInterval();
        ConfigWatcher watcher = new ConfigWatcher(sources, engine, metrics, executor, sources.file(), interval);
        watcher.watch();
        return watcher;
    }

    /** Schedules the checks unless they are scheduled already or there is nothing to watch. */
    private void watch() {
        if (!scheduled && file != null && intervalMillis > 0) {
            scheduled = true;
            executor.schedule(this, intervalMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Puts the configuration read from {@code path} (with the environment and system properties, as at
     * startup) in force, and watches that file from now on; an invalid one is reported and the last
     * good configuration stays, as with a hot reload. Waits until it is done, so that the caller's
     * attach ends after the log line.
     */
    void replaceSource(String path) throws Exception {
        onHousekeepingThread(new Runnable() {
            @Override
            public void run() {
                sources = new ConfigSources(path, System.getenv(), System.getProperties());
                file = sources.file();
                lastContent = read(file);
                settling = null;
                reload("replaced by an attach from " + file);
                watch();
            }
        });
    }

    /**
     * Turns every hook pass-through, as a reload with {@code tailguard.enabled=false} does, and stops
     * watching the file: only another attach with a file turns the agent on again.
     */
    void disable() throws Exception {
        onHousekeepingThread(new Runnable() {
            @Override
            public void run() {
                file = null;
                settling = null;
                engine.configure(ConfigParser.defaults());
                AgentStatus.configured(null, "off (" + AgentStart.OFF + ")");
                Log.info("turned off by an attach with " + AgentStart.OFF + ": requests pass through until an "
                        + "attach with a configuration file");
            }
        });
    }

    private void onHousekeepingThread(Runnable task) throws Exception {
        executor.submit(task).get(ATTACH_WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** One check of the file, then the next one is scheduled. */
    @Override
    public void run() {
        long next = intervalMillis;
        try {
            next = check();
        } catch (Throwable failure) {
            Log.warn("configuration reload failed; keeping the last good configuration", failure);
        }
        if (next > 0) {
            executor.schedule(this, next, TimeUnit.MILLISECONDS);
        } else {
            scheduled = false;
        }
    }

    /** @return milliseconds until the next check, or 0 when hot reload was turned off */
    long check() {
        if (file == null) {
            return 0;
        }
        byte[] content = read(file);
        if (Arrays.equals(content, lastContent)) {
            settling = null;
            return intervalMillis;
        }
        if (settling == null || !Arrays.equals(content, settling)) {
            settling = content;
            return SETTLE_MILLIS;
        }
        settling = null;
        lastContent = content;
        reload("reloaded");
        return intervalMillis;
    }

    private void reload(String how) {
        TailguardConfig config;
        try {
            config = sources.load();
        } catch (InvalidConfigException invalid) {
            Log.error(invalid.getMessage() + "\nKeeping the last good configuration.");
            return;
        }
        Log.setLevel(config.logLevel());
        metrics.apply(config);
        if (config.enabled()) {
            engine.configure(config);
            AgentStatus.configured(file.toAbsolutePath().toString(), config.mode().name().toLowerCase(Locale.ROOT));
            Log.info("configuration " + how + ": " + config);
        } else {
            engine.configure(ConfigParser.defaults());
            AgentStatus.configured(file.toAbsolutePath().toString(), "off (tailguard.enabled=false)");
            Log.info("configuration " + how + (how.equals("reloaded") ? " from " + file : "")
                    + ": tailguard.enabled=false, requests pass through");
        }
        if (config.reloadInterval().isZero()) {
            Log.info("tailguard.reload.interval=0: no longer watching " + file);
            intervalMillis = 0;
        } else {
            intervalMillis = millis(config.reloadInterval());
        }
    }

    private static long millis(Duration interval) {
        return Math.max(MIN_INTERVAL_MILLIS, interval.toMillis());
    }

    /** The file's bytes, or {@code null} when it does not exist or cannot be read. */
    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return null;
        }
    }
}
