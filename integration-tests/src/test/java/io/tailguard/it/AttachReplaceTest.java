package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * {@code attach} to a JVM where Tailguard already runs replaces its configuration instead of
 * installing it twice; {@code attach <pid> --off} makes every hook pass requests through, and a
 * later {@code attach} with a file turns it back on. Each path's first request gets 502.
 */
@Timeout(180)
class AttachReplaceTest {

    @TempDir
    Path dir;

    @AutoClose
    TestServer server = new TestServer();

    private final RequestsByPath requests = new RequestsByPath();

    @Test
    void attachingAgainReplacesTheConfigurationAndOffReturnsToPassThrough() throws Exception {
        Path retrying = dir.resolve("retrying.properties");
        Files.writeString(retrying, config(2));
        Path tagOnly = dir.resolve("tag-only.properties");
        Files.writeString(tagOnly, config(1));
        server.respondWith(this::respond);
        try (AgentedApp app = AgentedApp.withoutAgent().classpath(AgentedApp.clientClasspath("okhttp-4.12")).start()) {
            String pid = Long.toString(app.pid());
            app.call(Call.get("okhttp-execute", server.url("/warm-up")));

            attach(pid, retrying.toString(), "Attached Tailguard to process " + pid + ".");
            for (String client : List.of("jdk-send", "okhttp-execute")) {
                assertEquals("200", status(app, client, "/retried-" + client), app.stderr());
                assertEquals(List.of("1", "2"), requests.attempts("/retried-" + client), client);
            }

            attach(pid, tagOnly.toString(), "Replaced the configuration of Tailguard in process " + pid + ".");
            for (String client : List.of("jdk-send", "okhttp-execute")) {
                assertEquals("502", status(app, client, "/tagged-once-" + client), app.stderr());
                assertEquals(List.of("1"), requests.attempts("/tagged-once-" + client), "one attempt, tagged once: " + client);
            }

            attach(pid, "--off", "Turned off Tailguard in process " + pid + ".");
            for (String client : List.of("jdk-send", "okhttp-execute")) {
                assertEquals("502", status(app, client, "/off-" + client), app.stderr());
                assertEquals(List.of("none"), requests.attempts("/off-" + client), "sent as the application sent it: " + client);
            }

            attach(pid, retrying.toString(), "Replaced the configuration of Tailguard in process " + pid + ".");
            for (String client : List.of("jdk-send", "okhttp-execute")) {
                assertEquals("200", status(app, client, "/on-again-" + client), app.stderr());
                assertEquals(List.of("1", "2"), requests.attempts("/on-again-" + client), client);
            }
        }
    }

    private static void attach(String pid, String fileOrOff, String expected) {
        AgentCli.Result attach = AgentCli.run("attach", pid, fileOrOff);
        assertEquals(0, attach.exit, attach.toString());
        assertTrue(attach.out.contains(expected), expected + "\n" + attach);
    }

    private static String config(int maxAttempts) {
        return String.join("\n",
                "tailguard.metrics.log.interval=0",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.max-attempts=" + maxAttempts,
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.tagging=true", "");
    }

    private String status(AgentedApp app, String client, String path) {
        Map<String, String> result = app.call(Call.get(client, server.url(path)));
        return result.containsKey("status") ? result.get("status") : result.toString();
    }

    private MockResponse respond(RecordedRequest request) {
        int n = requests.record(request);
        return n == 1 ? TestServer.status(502) : TestServer.ok("attempt " + n);
    }
}
