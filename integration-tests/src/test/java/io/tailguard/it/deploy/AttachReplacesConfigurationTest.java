package io.tailguard.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading the agent into a JVM where it already runs (flag + attach) installs nothing twice: the
 * attach's argument replaces the configuration in force, a configuration file or {@code --off}.
 */
@Timeout(120)
class AttachReplacesConfigurationTest {

    @TempDir
    Path dir;

    @AutoClose
    private final TestServer server = new TestServer();

    @Test
    void anAttachReplacesTheConfigurationOrTurnsItOffAndAnInvalidFileKeepsTheLastGoodOne() throws Exception {
        Path retrying = dir.resolve("retrying.properties");
        Files.writeString(retrying, "tailguard.policy.api.hosts=127.0.0.1\n"
                + "tailguard.policy.api.retry.backoff.initial=10ms\ntailguard.policy.api.tagging=true\n");
        Path none = dir.resolve("none.properties");
        Files.writeString(none, "tailguard.policy.api.hosts=127.0.0.1\ntailguard.policy.api.retry.max-attempts=1\n");
        Path broken = dir.resolve("broken.properties");
        Files.writeString(broken, "tailguard.policy.api.hosts=127.0.0.1\ntailguard.policy.api.retry.max-atempts=1\n");
        // 503 unless the request is a tagged second attempt: only a retry can succeed.
        server.respondWith(request -> "2".equals(request.getHeaders().get("X-Attempt"))
                ? TestServer.ok("second attempt") : TestServer.status(503));

        try (AgentedApp app = AgentedApp.withConfig(null).agentArgument(none.toString()).start()) {
            assertEquals("503", status(app), "started with a configuration that does not retry");

            attach(app, retrying.toString());
            app.awaitStderrLines("configuration replaced by an attach from " + Pattern.quote(retrying.toString()), 1,
                    Duration.ofSeconds(30));
            assertEquals("200", status(app), "the attached file's configuration retries");

            attach(app, broken.toString());
            app.awaitStderrLines("ERROR configuration from " + Pattern.quote(broken.toString()) + " rejected", 1,
                    Duration.ofSeconds(30));
            // The error's lines reach stderr one by one; this one is its last.
            app.awaitStderrLines("Keeping the last good configuration\\.", 1, Duration.ofSeconds(30));
            assertTrue(app.stderr().contains("Keeping the last good configuration."), app.stderr());
            assertEquals("200", status(app), "an invalid file keeps the last good configuration");

            attach(app, "--off");
            app.awaitStderrLines("turned off by an attach with --off", 1, Duration.ofSeconds(30));
            int before = server.requestCount();
            assertEquals("503", status(app), "off: pass-through");
            assertEquals(before + 1, server.requestCount());
            assertEquals(null, server.drain().get(before).header("X-Attempt"), "off: not tagged");

            assertEquals(0, app.stderrLines(Pattern.compile("already running|could not start")).size(), app.stderr());
        }
    }

    private String status(AgentedApp app) {
        return app.call(Call.get("jdk-send", server.url("/item"))).get("status");
    }

    private static void attach(AgentedApp app, String argument) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(app.pid()));
        try {
            vm.loadAgent(AgentedApp.agentJar().toString(), argument);
        } finally {
            vm.detach();
        }
    }
}
