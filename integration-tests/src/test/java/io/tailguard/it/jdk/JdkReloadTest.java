package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Hot reload of the properties file while the application runs: a valid new version applies to
 * new requests within the reload interval; a broken one is rejected with one error and the last
 * good configuration stays in force.
 */
@Isolated
@Timeout(120)
class JdkReloadTest {

    private static final long INTERVAL_MILLIS = 500;
    /** The watcher re-reads a changed file 50 ms later; the rest is for a loaded build machine. */
    private static final long SLACK_MILLIS = 1500;

    @TempDir
    Path dir;

    @Test
    void aChangedFileAppliesWithinTheIntervalAndABrokenOneKeepsTheLastGoodOneWithOneError() throws Exception {
        Path file = dir.resolve("tailguard.properties");
        write(file, config(1));
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(null).agentArgument(file.toString()).start()) {
            server.respondWith(request -> "1".equals(request.getHeaders().get("X-Attempt"))
                    ? TestServer.status(503) : TestServer.ok("second attempt"));

            assertEquals("503", status(app, server.url("/before")));
            assertEquals(1, server.requestCount());

            // A valid change: retries on.
            long written = System.nanoTime();
            write(file, config(2));
            app.awaitStderrLines("INFO configuration reloaded", 1, Duration.ofSeconds(30));
            long appliedAfterMillis = (System.nanoTime() - written) / 1_000_000;
            assertTrue(appliedAfterMillis <= INTERVAL_MILLIS + SLACK_MILLIS, appliedAfterMillis + " ms");
            assertEquals("200", status(app, server.url("/after")));
            assertEquals(3, server.requestCount());

            // A broken change: one error, and the retrying configuration stays.
            write(file, config(2) + "tailguard.policy.api.retry.max-atempts=5\n"
                    + "tailguard.policy.api.hedge.delay=soon\n");
            List<String> errors = app.awaitStderrLines("ERROR", 1, Duration.ofSeconds(30));
            // The error's lines reach stderr one by one: the problems follow the first, and this one is the last.
            app.awaitStderrLines("Keeping the last good configuration\\.", 1, Duration.ofSeconds(30));
            assertTrue(errors.get(0).startsWith("[tailguard] ERROR configuration from " + file + " rejected (2 problems)"),
                    errors.get(0));
            assertTrue(app.stderr().contains("tailguard.policy.api.retry.max-atempts: unknown key"), app.stderr());
            assertTrue(app.stderr().contains("did you mean tailguard.policy.api.retry.max-attempts?"), app.stderr());
            assertTrue(app.stderr().contains("tailguard.policy.api.hedge.delay: 'soon'"), app.stderr());
            assertTrue(app.stderr().contains("Keeping the last good configuration."), app.stderr());
            assertEquals("200", status(app, server.url("/still-retried")));
            assertEquals(5, server.requestCount());

            // Several more checks of the unchanged broken file: still exactly one error. Then a
            // valid version is picked up again (retries off), and that is still the only error.
            Thread.sleep(6 * INTERVAL_MILLIS);
            write(file, config(1));
            app.awaitStderrLines("INFO configuration reloaded", 2, Duration.ofSeconds(30));
            assertEquals("503", status(app, server.url("/retries-off-again")));
            assertEquals(6, server.requestCount());
            assertEquals(1, app.stderrLines(Pattern.compile("ERROR")).size(), app.stderr());
            assertEquals(1, app.stderrLines(Pattern.compile("rejected")).size(), app.stderr());
        }
    }

    /**
     * A Kubernetes ConfigMap volume: the file is a link through {@code ..data}, itself a link to a
     * timestamped directory; an update writes a new directory and replaces {@code ..data} in one
     * rename, and removes the old directory. The file's own path never changes.
     */
    @Test
    void aConfigMapUpdateBySymlinkSwapIsPickedUp() throws Exception {
        Path volume = dir.resolve("config-volume");
        Files.createDirectories(volume);
        Path first = configMapVersion(volume, "..2026_12_01_10_00_00.000000001", config(1));
        Files.createSymbolicLink(volume.resolve("..data"), first.getFileName());
        Path file = volume.resolve("tailguard.properties");
        Files.createSymbolicLink(file, Path.of("..data", "tailguard.properties"));
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(null).agentArgument(file.toString()).start()) {
            server.respondWith(request -> "2".equals(request.getHeaders().get("X-Attempt"))
                    ? TestServer.ok("second attempt") : TestServer.status(503));
            assertEquals("503", status(app, server.url("/before")));
            assertEquals(1, server.requestCount());

            Path second = configMapVersion(volume, "..2026_12_01_10_05_00.000000002", config(2));
            Path swap = volume.resolve("..data_tmp");
            Files.createSymbolicLink(swap, second.getFileName());
            Files.move(swap, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
            Files.delete(first.resolve("tailguard.properties"));
            Files.delete(first);

            app.awaitStderrLines("INFO configuration reloaded", 1, Duration.ofSeconds(30));
            assertEquals("200", status(app, server.url("/after")), "the new version retries");
            assertEquals(3, server.requestCount());
            assertEquals(0, app.stderrLines(Pattern.compile("ERROR|WARN")).size(), app.stderr());
        }
    }

    private static Path configMapVersion(Path volume, String name, String content) throws Exception {
        Path version = Files.createDirectory(volume.resolve(name));
        Files.writeString(version.resolve("tailguard.properties"), content);
        return version;
    }

    private static String config(int maxAttempts) {
        return String.join("\n",
                "tailguard.reload.interval=" + INTERVAL_MILLIS + "ms",
                "tailguard.metrics.log.interval=0",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.max-attempts=" + maxAttempts,
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.tagging=true", "");
    }

    /** Replaces the file in one step, as configuration management tools do. */
    private static void write(Path file, String content) throws Exception {
        Path next = Files.createTempFile(file.getParent(), "next", ".properties");
        Files.writeString(next, content);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String status(AgentedApp app, String url) {
        Map<String, String> result = app.call(Call.get("jdk-send", url));
        return result.containsKey("status") ? result.get("status") : result.toString();
    }
}
