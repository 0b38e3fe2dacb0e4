package io.tailguard.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent given twice, as platforms do by accident: {@code JAVA_TOOL_OPTIONS} from the platform and
 * {@code -javaagent} in the start script, or the flag twice. The copy the JVM loads first installs,
 * the other says so in one line naming both and changes nothing; every request is handled once:
 * retried by the first copy's configuration and tagged once.
 */
@Timeout(120)
class AgentGivenTwiceTest {

    @TempDir
    Path dir;

    @AutoClose
    private final TestServer server = new TestServer();

    private Path copy;
    private Path retrying;
    private Path elsewhere;

    @BeforeEach
    void files() throws Exception {
        copy = dir.resolve("platform").resolve("tailguard-agent.jar");
        Files.createDirectories(copy.getParent());
        Files.copy(AgentedApp.agentJar(), copy, StandardCopyOption.REPLACE_EXISTING);
        retrying = dir.resolve("retrying.properties");
        Files.writeString(retrying, String.join("\n",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.tagging=true", ""));
        // A configuration under which nothing the test sends is retried or tagged.
        elsewhere = dir.resolve("elsewhere.properties");
        Files.writeString(elsewhere, "tailguard.policy.other.hosts=other.example\n");
        // 503 unless the request is a tagged second attempt: only a retry can succeed.
        server.respondWith(request -> "2".equals(request.getHeaders().get("X-Attempt"))
                ? TestServer.ok("second attempt") : TestServer.status(503));
    }

    @Test
    void twiceOnTheCommandLineTheFirstInstallsAndTheSecondStepsAsideWithOneLine() throws Exception {
        try (AgentedApp app = AgentedApp.withConfig(null).agentArgument(retrying.toString())
                .jvmOption("-javaagent:" + copy + "=" + elsewhere).start()) {
            assertRetriedOnceTagged(app);
            String line = onlyTailguardLine(app);
            assertTrue(line.contains("already running in this JVM (-javaagent:" + AgentedApp.agentJar() + "="
                    + retrying + " on the command line)"), line);
            assertTrue(line.contains("this copy (-javaagent:" + copy + "=" + elsewhere + " on the command line) "
                    + "steps aside"), line);
        }
    }

    @Test
    void javaToolOptionsFirstItsConfigurationIsTheOneInForce() throws Exception {
        try (AgentedApp app = AgentedApp.withConfig(null).agentArgument(elsewhere.toString())
                .environment("JAVA_TOOL_OPTIONS", "-javaagent:" + copy + "=" + retrying).start()) {
            assertRetriedOnceTagged(app);
            String line = onlyTailguardLine(app);
            assertTrue(line.contains("already running in this JVM (-javaagent:" + copy + "=" + retrying
                    + " in JAVA_TOOL_OPTIONS)"), line);
            assertTrue(line.contains("this copy (-javaagent:" + AgentedApp.agentJar() + "=" + elsewhere
                    + " on the command line) steps aside"), line);
        }
    }

    @Test
    void javaToolOptionsFirstWithTheOtherConfigurationNothingIsRetried() throws Exception {
        try (AgentedApp app = AgentedApp.withConfig(null).agentArgument(retrying.toString())
                .environment("JAVA_TOOL_OPTIONS", "-javaagent:" + copy + "=" + elsewhere).start()) {
            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item")));

            assertEquals("503", result.get("status"), "the first copy's configuration: not retried");
            assertEquals(1, server.requestCount());
            assertEquals(null, server.take().header("X-Attempt"), "not tagged");
            onlyTailguardLine(app);
        }
    }

    private void assertRetriedOnceTagged(AgentedApp app) throws InterruptedException {
        Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item")));

        assertEquals("200", result.get("status"), result + "\n" + app.stderr());
        assertEquals(2, server.requestCount());
        List<Arrival> arrivals = List.of(server.take(), server.take());
        for (int i = 0; i < 2; i++) {
            assertEquals(List.of(Integer.toString(i + 1)), arrivals.get(i).request.getHeaders().values("X-Attempt"),
                    "one tag per attempt");
            assertEquals(1, arrivals.get(i).request.getHeaders().values("X-Request-ID").size());
        }
    }

    private static String onlyTailguardLine(AgentedApp app) {
        List<String> lines = app.stderrLines(Pattern.compile("\\[tailguard]"));
        assertEquals(1, lines.size(), app.stderr());
        assertTrue(lines.get(0).startsWith("[tailguard] WARN Tailguard is already running"), lines.get(0));
        return lines.get(0);
    }
}
