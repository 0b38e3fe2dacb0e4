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

    private final ConfigSources sources;
    private final Engine engine;
    private final TailguardMetrics metrics;
    private final ScheduledExecutorService executor;
    private final Path file;
    // Only touched by the one scheduled task at a time.
    private byte[] lastContent;
    private byte[] settling;
    private long intervalMillis;

    ConfigWatcher(ConfigSources sources, Engine engine, TailguardMetrics metrics,
            ScheduledExecutorService executor, Path file, Duration interval) {
        this.sources = sources;
        this.engine = engine;
        this.metrics = metrics;
        this.executor = executor;
        this.file = file;
        this.lastContent = read(file);
        this.intervalMillis = millis(interval);
    }

    /**
     * @param config the configuration loaded at startup, or {@code null} when it was invalid
     * @param executor the housekeeping thread the checks run on
     */
    static void start(ConfigSources sources, TailguardConfig config, Engine engine, TailguardMetrics metrics,
            ScheduledExecutorService executor) {
        Path file = sources.file();
        Duration interval = config == null ? DEFAULT_INTERVAL : config.reloadInterval();
        if (file == null || interval.isZero()) {
            return;
        }
        ConfigWatcher watcher = new ConfigWatcher(sources, engine, metrics, executor, file, interval);
        executor.schedule(watcher, watcher.intervalMillis, TimeUnit.MILLISECONDS);
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
        }
    }

    /** @return milliseconds until the next check, or 0 when hot reload was turned off */
    long check() {
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
        reload();
        return intervalMillis;
    }

    private void reload() {
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
            Log.info("configuration reloaded: " + config);
        } else {
            engine.configure(ConfigParser.defaults());
            AgentStatus.configured(file.toAbsolutePath().toString(), "off (tailguard.enabled=false)");
            Log.info("configuration reloaded from " + file + ": tailguard.enabled=false, requests pass through");
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
