package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tailguard loaded into an application that is already running and already sending requests
 * through the JDK client, OkHttp and Apache HttpClient 5, from a second JVM:
 * {@code java -jar tailguard-agent.jar attach <pid> <file>}. The application was started without
 * any agent and knows nothing of it.
 *
 * <p>Each path's first request gets 502 (a status Apache's own retry strategy leaves alone), later
 * ones 200: without the agent the application sees the 502, with it a retry turns it into a 200.
 */
@Timeout(180)
class AttachTest {

    private static final List<String> CLIENTS = List.of("jdk-send", "okhttp-execute", "apache5");

    @TempDir
    Path dir;

    @AutoClose
    TestServer server = new TestServer();

    private final RequestsByPath requests = new RequestsByPath();
    private final CountDownLatch inFlightArrived = new CountDownLatch(2);
    private final CountDownLatch releaseInFlight = new CountDownLatch(1);

    @Test
    void attachingHooksTheClientsTheApplicationAlreadyUsesWhileRequestsInFlightFinishUntouched() throws Exception {
        Path file = dir.resolve("tailguard.properties");
        Files.writeString(file, String.join("\n",
                "tailguard.metrics.log.interval=0",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.max-attempts=2",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.hedge.delay=300ms",
                "tailguard.policy.api.tagging=true", ""));
        server.respondWith(this::respond);
        try (AgentedApp app = AgentedApp.withoutAgent()
                .classpath(AgentedApp.clientClasspath("okhttp-4.12"))
                .classpath(AgentedApp.clientClasspath("apache-5")).start()) {
            String pid = Long.toString(app.pid());

            // Running without the agent: every client's first request sees the 502, nothing tagged.
            for (String client : CLIENTS) {
                assertEquals("502", app.call(Call.get(client, server.url("/before-" + client))).get("status"), client);
                assertEquals(List.of("none"), requests.attempts("/before-" + client), client);
            }
            String listed = line(AgentCli.run("list"), pid);
            assertTrue(listed.contains("no Tailguard") && listed.contains("AppMain"), listed);
            AgentCli.Result nothingToTurnOff = AgentCli.run("attach", pid, "--off");
            assertEquals(0, nothingToTurnOff.exit, nothingToTurnOff.toString());
            assertTrue(nothingToTurnOff.out.contains("Tailguard does not run in process " + pid
                    + " (Java "), nothingToTurnOff.toString());

            // Two requests on the wire, waiting for their responses, while the agent is attached.
            CompletableFuture<Map<String, String>> jdkInFlight =
                    app.callAsync(Call.get("jdk-send", server.url("/in-flight-jdk")));
            CompletableFuture<Map<String, String>> okHttpInFlight =
                    app.callAsync(Call.get("okhttp-execute", server.url("/in-flight-okhttp")));
            assertTrue(inFlightArrived.await(30, TimeUnit.SECONDS), "both requests reached the server");

            AgentCli.Result attach = AgentCli.run("attach", pid, file.toString());

            releaseInFlight.countDown();
            assertEquals(0, attach.exit, attach.toString());
            assertTrue(attach.out.contains("Attached Tailguard to process " + pid + "."), attach.toString());
            assertTrue(attach.out.contains("configuration: " + file.toAbsolutePath()), attach.toString());
            for (String hooked : List.of("jdk: hooked", "okhttp: hooked", "apache5: hooked",
                    "apache4: not loaded by the application yet")) {
                assertTrue(attach.out.contains(hooked), hooked + "\n" + attach);
            }
            if (Runtime.Version.parse(app.javaVersion()).feature() >= 21) {
                // JEP 451: the JVM warns about the agent, and attach says so.
                assertTrue(attach.out.contains("Note: Java 21+ logs a warning in that process"), attach.toString());
                app.awaitStderrLines("WARNING: A Java agent has been loaded dynamically", 1, Duration.ofSeconds(10));
            }
            for (CompletableFuture<Map<String, String>> inFlight : List.of(jdkInFlight, okHttpInFlight)) {
                Map<String, String> result = inFlight.get(30, TimeUnit.SECONDS);
                assertEquals("200", result.get("status"), result.toString());
                assertEquals("in flight", result.get("body"), result.toString());
            }
            for (String path : List.of("/in-flight-jdk", "/in-flight-okhttp")) {
                assertEquals(List.of("none"), requests.attempts(path), "sent once, as the application sent it");
            }

            // From now on: the retry turns the 502 into a 200, both attempts tagged as one request.
            for (String client : CLIENTS) {
                Map<String, String> result = app.call(Call.get(client, server.url("/after-" + client)));
                assertEquals("200", result.get("status"), client + ": " + result + "\n" + app.stderr());
                assertEquals(List.of("1", "2"), requests.attempts("/after-" + client), client);
                List<RecordedRequest> after = requests.at("/after-" + client);
                assertNotNull(after.get(0).getHeaders().get("X-Request-ID"), client);
                assertEquals(after.get(0).getHeaders().get("X-Request-ID"), after.get(1).getHeaders().get("X-Request-ID"),
                        client);
            }
            // And hedging: the first attempt stalls, the hedge answers.
            long start = System.nanoTime();
            Map<String, String> hedged = app.call(Call.get("jdk-send", server.url("/stall")));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals("200", hedged.get("status"), hedged.toString());
            assertTrue(elapsedMs < 4_000, "answered by the hedge, not after the 5 s stall: " + elapsedMs + " ms");
            List<RecordedRequest> stall = requests.at("/stall");
            assertEquals(2, stall.size());
            assertEquals("true", stall.get(1).getHeaders().get("X-Is-Hedge"));

            String listedAfter = line(AgentCli.run("list"), pid);
            assertTrue(listedAfter.contains("Tailguard ") && listedAfter.contains("enforce")
                    && listedAfter.contains(file.toAbsolutePath().toString()), listedAfter);
        }
    }

    private MockResponse respond(RecordedRequest request) {
        int n = requests.record(request);
        String path = RequestsByPath.path(request);
        if (path.startsWith("/in-flight")) {
            inFlightArrived.countDown();
            try {
                releaseInFlight.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return TestServer.ok("in flight");
        }
        if (path.equals("/stall") && n == 1) {
            return new MockResponse.Builder().code(200).body("stalled").headersDelay(5, TimeUnit.SECONDS).build();
        }
        return n == 1 ? TestServer.status(502) : TestServer.ok("attempt " + n);
    }

    /** The line of {@code list}'s output for one process. */
    static String line(AgentCli.Result list, String pid) {
        assertEquals(0, list.exit, list.toString());
        for (String line : list.out.split("\n")) {
            if (line.startsWith(pid + " ")) {
                return line;
            }
        }
        throw new AssertionError("process " + pid + " is not listed:\n" + list);
    }
}
