package io.tailguard.agent;

import io.tailguard.agent.config.ConfigParser;
import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.InvalidConfigException;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.DaemonThreads;
import io.tailguard.agent.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Hot reload: re-reads the properties file every {@code tailguard.reload.interval} and, when its
 * content changed, puts a valid new version in force for new requests. An invalid version is
 * rejected with one error and the last good configuration stays. Comparing content rather than
 * modification times catches edits within the file system's timestamp granularity.
 */
final class ConfigWatcher implements Runnable {

    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    private final ConfigSources sources;
    private final Engine engine;
    private final Path file;
    private byte[] lastContent;

    private ConfigWatcher(ConfigSources sources, Engine engine, Path file) {
        this.sources = sources;
        this.engine = engine;
        this.file = file;
        this.lastContent = read(file);
    }

    static void start(ConfigSources sources, TailguardConfig config, Engine engine) {
        Path file = sources.file();
        Duration interval = config == null ? DEFAULT_INTERVAL : config.reloadInterval();
        if (file == null || interval.isZero()) {
            return;
        }
        ConfigWatcher watcher = new ConfigWatcher(sources, engine, file);
        ScheduledExecutorService executor = new ScheduledThreadPoolExecutor(1,
                DaemonThreads.named("tailguard-config-watch"));
        long millis = Math.max(100, interval.toMillis());
        executor.scheduleWithFixedDelay(watcher, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** One check of the file. */
    @Override
    public void run() {
        try {
            byte[] content = read(file);
            if (Arrays.equals(content, lastContent)) {
                return;
            }
            lastContent = content;
            TailguardConfig config = sources.load();
            Log.setLevel(config.logLevel());
            if (!config.enabled()) {
                engine.configure(ConfigParser.defaults());
                Log.info("configuration reloaded from " + file + ": tailguard.enabled=false, requests pass through");
                return;
            }
            engine.configure(config);
            Log.info("configuration reloaded: " + config);
        } catch (InvalidConfigException invalid) {
            Log.error(invalid.getMessage() + "\nKeeping the last good configuration.");
        } catch (Throwable failure) {
            Log.warn("configuration reload failed; keeping the last good configuration", failure);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readAllBytes(file) : new byte[0];
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
