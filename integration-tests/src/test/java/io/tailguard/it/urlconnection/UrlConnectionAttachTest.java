package io.tailguard.it.urlconnection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentCli;
import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.RequestsByPath;
import io.tailguard.it.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tailguard attached to a running application that already uses {@code HttpURLConnection}: the
 * JDK's class, loaded before the agent, is retransformed and its module opened at attach time.
 */
@Timeout(180)
class UrlConnectionAttachTest {

    @TempDir
    Path dir;

    @AutoClose
    TestServer server = new TestServer();

    private final RequestsByPath requests = new RequestsByPath();

    @Test
    void attachingHooksAnHttpUrlConnectionTheApplicationAlreadyUses() throws Exception {
        Path file = dir.resolve("tailguard.properties");
        Files.writeString(file, String.join("\n",
                "tailguard.metrics.log.interval=0",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.tagging=true", ""));
        server.respondWith(this::respond);
        try (AgentedApp app = AgentedApp.withoutAgent().start()) {
            String pid = Long.toString(app.pid());
            assertEquals("502", app.call(Call.get("urlconnection", server.url("/before"))).get("status"));
            assertEquals(List.of("none"), requests.attempts("/before"));

            AgentCli.Result attach = AgentCli.run("attach", pid, file.toString());

            assertEquals(0, attach.exit, attach.toString());
            assertTrue(attach.out.contains("urlconnection: hooked"), attach.toString());
            Map<String, String> result = app.call(Call.get("urlconnection", server.url("/after")));
            assertEquals("200", result.get("status"), result + "\n" + app.stderr());
            assertEquals(List.of("1", "2"), requests.attempts("/after"));
            assertEquals(List.of(), app.agentProblems(), app.stderr());
        }
    }

    private MockResponse respond(RecordedRequest request) {
        int n = requests.record(request);
        return n == 1 ? TestServer.status(502) : TestServer.ok("attempt " + n);
    }
}
