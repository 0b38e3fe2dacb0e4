package io.tailguard.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Await;
import io.tailguard.it.PrometheusScrape;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Queue time on {@code com.sun.net.httpserver}: an application whose server runs on one thread, forked
 * with the agent. A request to {@code /block/...} holds that thread; the requests sent meanwhile
 * wait in the executor's queue, which the application reports, for longer than the bounds under
 * test; then the block is released and what the queued requests got is checked against the
 * handler's own counts. A second application bounds the queue time of originals too; a third,
 * without any server-side configuration, shows the same requests served as without the agent.
 */
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpServerQueueTest {

    /** Longer than any bound below: how long the queued requests are held. */
    private static final long HELD_MILLIS = 800;

    private final HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private AgentedApp configured;
    private AgentedApp originalsBounded;
    private AgentedApp unconfigured;
    private int metricsPort;
    private int boundedMetricsPort;

    @BeforeAll
    void start() throws Exception {
        metricsPort = PrometheusScrape.freePort();
        configured = AgentedApp.withConfig(String.join("\n",
                "tailguard.server.drop-expired=true",
                "tailguard.server.shed.max-queue-time=300ms",
                "tailguard.metrics.prometheus.port=" + metricsPort)).start();
        PrometheusScrape.awaitEndpoint(metricsPort);
        boundedMetricsPort = PrometheusScrape.freePort();
        // The retries' own bound is far above the queue time under test: only the originals' applies.
        originalsBounded = AgentedApp.withConfig(String.join("\n",
                "tailguard.server.shed.original-max-queue-time=300ms",
                "tailguard.server.shed.max-queue-time=60s",
                "tailguard.metrics.prometheus.port=" + boundedMetricsPort)).start();
        PrometheusScrape.awaitEndpoint(boundedMetricsPort);
        unconfigured = AgentedApp.withConfig("tailguard.policy.other.hosts=example.invalid").start();
    }

    @AfterAll
    void stop() throws Exception {
        for (AgentedApp app : new AgentedApp[] {configured, originalsBounded, unconfigured}) {
            if (app != null) {
                app.close();
            }
        }
    }

    @Test
    void aRequestWhoseClientStoppedWaitingWhileQueuedIsAnsweredWithoutItsHandler() throws Exception {
        int port = serve(configured);
        List<HttpResponse<String>> answers = queuedBehindABlock(configured, port, "/block/expiry",
                request(port, "/work/expiry-short").header("X-Request-Timeout-Ms", "200"),
                request(port, "/work/expiry-long").header("X-Request-Timeout-Ms", "60000"));

        HttpResponse<String> expired = answers.get(0);
        assertEquals(503, expired.statusCode(), expired.body());
        assertEquals("1", expired.headers().firstValue("Tailguard-Shed").orElse(null));
        assertEquals("0", stats(configured, "/work/expiry-short").get("runs"), "its handler did not run");
        assertEquals("1", stats(configured, "/work/expiry-short").get("arrivals"));
        assertEquals(200, answers.get(1).statusCode(), "a client still waiting is served");
        assertEquals("1", stats(configured, "/work/expiry-long").get("runs"));
        PrometheusScrape scrape = PrometheusScrape.of(metricsPort);
        assertTrue(scrape.value("tailguard_server_requests_total", "kind", "primary", "outcome", "expired",
                "shadow", "false") >= 1, scrape.text());
        assertEquals(List.of(), configured.agentProblems());
    }

    @Test
    void aRetryQueuedPastTheBoundIsShedWhileAnOriginalQueuedAsLongIsServed() throws Exception {
        int port = serve(configured);
        List<HttpResponse<String>> answers = queuedBehindABlock(configured, port, "/block/queue",
                request(port, "/work/queue-retry").header("X-Request-ID", "r").header("X-Attempt", "2"),
                request(port, "/work/queue-original").header("X-Request-ID", "o").header("X-Attempt", "1"));

        HttpResponse<String> retry = answers.get(0);
        assertEquals(503, retry.statusCode(), retry.body());
        assertEquals("1", retry.headers().firstValue("Tailguard-Shed").orElse(null));
        assertEquals("1", retry.headers().firstValue("Retry-After").orElse(null));
        assertEquals("0", stats(configured, "/work/queue-retry").get("runs"));
        assertEquals(200, answers.get(1).statusCode(), "an original is never shed");
        assertEquals("1", stats(configured, "/work/queue-original").get("runs"));
    }

    @Test
    void withTheOriginalsBoundAnOriginalQueuedPastItIsShedBeforeItsHandlerAndARetryToo() throws Exception {
        int port = serve(originalsBounded);
        List<HttpResponse<String>> answers = queuedBehindABlock(originalsBounded, port, "/block/originals",
                request(port, "/work/bounded-original").header("X-Request-ID", "o").header("X-Attempt", "1"),
                request(port, "/work/bounded-untagged"),
                request(port, "/work/bounded-retry").header("X-Request-ID", "r").header("X-Attempt", "2"));

        for (int i = 0; i < answers.size(); i++) {
            HttpResponse<String> refused = answers.get(i);
            assertEquals(503, refused.statusCode(), i + ": " + refused.body());
            assertEquals("1", refused.headers().firstValue("Tailguard-Shed").orElse(null), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null), refused.body());
        }
        for (String path : List.of("/work/bounded-original", "/work/bounded-untagged", "/work/bounded-retry")) {
            assertEquals("0", stats(originalsBounded, path).get("runs"), path + ": its handler did not run");
            assertEquals("1", stats(originalsBounded, path).get("arrivals"), path);
        }
        PrometheusScrape scrape = PrometheusScrape.of(boundedMetricsPort);
        assertEquals(2.0, scrape.value("tailguard_server_requests_total", "kind", "primary", "outcome", "shed",
                "shadow", "false"), scrape.text());
        assertEquals(1.0, scrape.value("tailguard_server_requests_total", "kind", "retry", "outcome", "shed",
                "shadow", "false"), scrape.text());
        assertEquals(List.of(), originalsBounded.agentProblems());
    }

    @Test
    void withNothingConfiguredQueuedRequestsAreServedAsWithoutTheAgent() throws Exception {
        int port = serve(unconfigured);
        List<HttpResponse<String>> answers = queuedBehindABlock(unconfigured, port, "/block/plain",
                request(port, "/work/plain-short").header("X-Request-Timeout-Ms", "1"),
                request(port, "/work/plain-retry").header("X-Request-ID", "r").header("X-Attempt", "2"));

        for (HttpResponse<String> answer : answers) {
            assertEquals(200, answer.statusCode(), answer.body());
        }
        assertEquals("1", stats(unconfigured, "/work/plain-short").get("runs"));
        assertEquals("1", stats(unconfigured, "/work/plain-retry").get("runs"));
    }

    /**
     * Holds the server's one thread with a request to {@code blockPath}, queues {@code queued} behind
     * it, keeps them queued for {@link #HELD_MILLIS}, releases the block and returns their answers.
     */
    private List<HttpResponse<String>> queuedBehindABlock(AgentedApp app, int port, String blockPath,
            HttpRequest.Builder... queued) throws Exception {
        CompletableFuture<HttpResponse<String>> block = send(request(port, blockPath).build());
        Await.until(() -> Integer.parseInt(stats(app, blockPath).get("runs")) == 1, 30_000, "the block runs");
        CompletableFuture<?>[] answers = new CompletableFuture<?>[queued.length];
        for (int i = 0; i < queued.length; i++) {
            answers[i] = send(queued[i].build());
        }
        Await.until(() -> Integer.parseInt(stats(app, blockPath).get("queued")) == queued.length, 30_000,
                "the requests wait in the server's queue");
        // Not synchronisation: the time in the queue is what is under test.
        Thread.sleep(HELD_MILLIS);
        app.send("server-release", Map.of(), 30);
        assertEquals(200, block.get().statusCode());
        List<HttpResponse<String>> result = new ArrayList<>();
        for (CompletableFuture<?> answer : answers) {
            @SuppressWarnings("unchecked")
            HttpResponse<String> response = (HttpResponse<String>) answer.get();
            result.add(response);
        }
        return result;
    }

    private static int serve(AgentedApp app) {
        return Integer.parseInt(app.send("serve", Map.of("threads", "1"), 30).get("port"));
    }

    private static HttpRequest.Builder request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    }

    private CompletableFuture<HttpResponse<String>> send(HttpRequest request) {
        return plain.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> stats(AgentedApp app, String path) {
        return app.send("server-stats", Map.of("path", path), 30);
    }
}
