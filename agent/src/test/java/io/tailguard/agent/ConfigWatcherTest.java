package io.tailguard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.Clock;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.RandomSource;
import io.tailguard.agent.engine.Scheduler;
import io.tailguard.agent.metrics.TailguardMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watcher's checks, driven one by one: what it does with each state of the file. */
class ConfigWatcherTest {

    @TempDir
    Path dir;

    private final ScheduledThreadPoolExecutor housekeeping = new ScheduledThreadPoolExecutor(1);
    private Path file;
    private Engine engine;
    private ConfigWatcher watcher;

    @BeforeEach
    void start() throws Exception {
        file = dir.resolve("tailguard.properties");
        Files.writeString(file, policy(2) + "tailguard.reload.interval=5s\n");
        ConfigSources sources = new ConfigSources(file.toString(), Map.of(), new Properties());
        TailguardConfig config = sources.load();
        Scheduler never = (task, delay) -> Scheduler.Cancellable.NONE;
        engine = new Engine(Clock.SYSTEM, never, Runnable::run, RandomSource.THREAD_LOCAL, failure -> { });
        TailguardMetrics metrics = new TailguardMetrics(engine, housekeeping);
        engine.useMetrics(metrics);
        engine.configure(config);
        watcher = new ConfigWatcher(sources, engine, metrics, housekeeping, file, config.reloadInterval());
    }

    @AfterEach
    void stop() {
        housekeeping.shutdownNow();
    }

    @Test
    void appliesAChangeOnlyWhenASecondReadAgrees() throws Exception {
        assertEquals(5000, watcher.check());

        Files.writeString(file, policy(3));
        assertEquals(ConfigWatcher.SETTLE_MILLIS, watcher.check(), "changed: read again shortly");
        assertEquals(2, maxAttempts());
        Files.writeString(file, policy(4));
        assertEquals(ConfigWatcher.SETTLE_MILLIS, watcher.check(), "still being written: read again shortly");
        assertEquals(2, maxAttempts());
        assertEquals(5000, watcher.check(), "stable: applied");
        assertEquals(4, maxAttempts());
        assertEquals(5000, watcher.check());
    }

    @Test
    void keepsTheLastGoodConfigurationAndLooksAtABrokenFileOnlyOnce() throws Exception {
        Files.writeString(file, policy(3) + "tailguard.policy.api.retry.max-atempts=3\n");
        watcher.check();
        assertEquals(5000, watcher.check());
        assertEquals(2, maxAttempts());
        assertEquals(5000, watcher.check(), "the same broken content is not parsed (nor reported) again");

        Files.delete(file);
        watcher.check();
        watcher.check();
        assertEquals(2, maxAttempts());

        Files.writeString(file, policy(3));
        watcher.check();
        watcher.check();
        assertEquals(3, maxAttempts());
    }

    @Test
    void followsANewReloadIntervalAndStopsAtZero() throws Exception {
        Files.writeString(file, policy(2) + "tailguard.reload.interval=750ms\n");
        watcher.check();
        assertEquals(750, watcher.check());

        Files.writeString(file, policy(2) + "tailguard.reload.interval=0\n");
        watcher.check();
        assertEquals(0, watcher.check());
    }

    @Test
    void tailguardEnabledFalseInAReloadMeansPassThrough() throws Exception {
        Files.writeString(file, policy(3) + "tailguard.enabled=false\n");
        watcher.check();
        watcher.check();
        assertEquals(null, engine.policyFor("api.example.com", 443));
    }

    @Test
    void anAttachedFileReplacesTheConfigurationAndIsWatchedFromThenOn() throws Exception {
        Path attached = dir.resolve("attached.properties");
        Files.writeString(attached, policy(4));

        watcher.replaceSource(attached.toString());
        assertEquals(4, maxAttempts());

        Files.writeString(file, policy(5));
        watcher.check();
        watcher.check();
        assertEquals(4, maxAttempts(), "the startup file is no longer watched");
        Files.writeString(attached, policy(6));
        watcher.check();
        watcher.check();
        assertEquals(6, maxAttempts(), "the attached one is");
    }

    @Test
    void anInvalidAttachedFileKeepsTheLastGoodConfiguration() throws Exception {
        Path attached = dir.resolve("attached.properties");
        Files.writeString(attached, policy(4) + "tailguard.policy.api.retry.max-atempts=4\n");

        watcher.replaceSource(attached.toString());
        assertEquals(2, maxAttempts());
        watcher.replaceSource(dir.resolve("missing.properties").toString());
        assertEquals(2, maxAttempts());
    }

    @Test
    void offMakesEveryRequestPassThroughAndStopsWatching() throws Exception {
        watcher.disable();
        assertEquals(null, engine.policyFor("api.example.com", 443));

        Files.writeString(file, policy(3));
        assertEquals(0, watcher.check(), "no file is watched until an attach names one");
        assertEquals(null, engine.policyFor("api.example.com", 443));
    }

    private int maxAttempts() {
        return engine.policyFor("api.example.com", 443).config().maxAttempts();
    }

    private static String policy(int maxAttempts) {
        return "tailguard.policy.api.hosts=api.example.com\n"
                + "tailguard.policy.api.retry.max-attempts=" + maxAttempts + "\n";
    }

}
