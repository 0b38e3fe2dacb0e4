package io.tailguard.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Await;
import io.tailguard.it.Call;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The server side in a {@code com.sun.net.httpserver} application forked with the agent, driven by
 * a Tailguard client JVM (JDK HttpClient) and by plain requests from this JVM. One server JVM and
 * one client JVM for the whole class; each test uses paths of its own, so the server's per-path
 * counts tell its requests apart.
 */
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpServerSideTest {

    private static final int MAX_CONCURRENCY = 4;

    private final HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private AgentedApp server;
    private AgentedApp client;
    private int port;
    private int metricsPort;

    @BeforeAll
    void start() throws Exception {
        metricsPort = PrometheusScrape.freePort();
        server = AgentedApp.withConfig(String.join("\n",
                "tailguard.server.coalesce.paths=/work/*, /orders/*",
                "tailguard.server.replay.ttl=60s",
                "tailguard.server.replay.max-entries=100",
                "tailguard.server.replay.max-bytes=64k",
                "tailguard.server.coalesce.max-in-flight=50",
                "tailguard.server.shed.max-concurrency=" + MAX_CONCURRENCY,
                "tailguard.metrics.prometheus.port=" + metricsPort))
                // Without it the JDK's server answers many small requests 40 ms apart (Nagle's algorithm
                // against delayed ACKs), and the ten thousand requests below would take minutes.
                .jvmOption("-Dsun.net.httpserver.nodelay=true").start();
        PrometheusScrape.awaitEndpoint(metricsPort);
        port = Integer.parseInt(server.send("serve", Map.of(), 30).get("port"));
        client = AgentedApp.withConfig(String.join("\n",
                // Hedging GETs early, through 127.0.0.1.
                "tailguard.policy.hedging.hosts=127.0.0.1:" + port,
                "tailguard.policy.hedging.hedge.delay=100ms",
                "tailguard.policy.hedging.tagging=true",
                "tailguard.policy.hedging.retry.backoff.initial=50ms",
                // Giving up on attempts before the handler finishes, through localhost.
                "tailguard.policy.impatient.hosts=localhost:" + port,
                "tailguard.policy.impatient.attempt-timeout=1500ms",
                "tailguard.policy.impatient.retry.backoff.initial=50ms",
                "tailguard.policy.impatient.tagging=true")).start();
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aHedgeArrivingWhileItsPrimaryRunsGetsTheSameResponseFromOneHandlerRun() throws Exception {
        Map<String, String> result = client.call(Call.get("jdk-send", url("/work/hedged?ms=1000"))
                .header("Authorization", "Bearer alice"));

        assertEquals("200", result.get("status"), result.toString());
        assertTrue(result.get("body").matches("execution \\d+ of /work/hedged for Bearer alice"), result.toString());
        Map<String, String> stats = stats("/work/hedged");
        assertEquals("2", stats.get("arrivals"), "the primary and its hedge reached the server");
        assertEquals("1", stats.get("runs"), "the handler ran once");
        assertEquals(List.of(), server.agentProblems());
        PrometheusScrape scrape = PrometheusScrape.of(metricsPort);
        assertTrue(scrape.value("tailguard_server_requests_total", "kind", "hedge", "outcome", "coalesced",
                "shadow", "false") >= 1, scrape.text());
        assertTrue(scrape.value("tailguard_server_handler_saved_seconds_total") >= 0.5, scrape.text());
    }

    @Test
    void twoOverlappingAttemptsOfOneRequestGetTheSameBytes() throws Exception {
        CompletableFuture<HttpResponse<String>> first = send(get("/work/twice?ms=1500", "Bearer bob", "id-1")
                .header("X-Attempt", "1").header("X-Is-Hedge", "false").build());
        awaitRuns("/work/twice", 1);
        HttpResponse<String> hedge = plain.send(get("/work/twice?ms=1500", "Bearer bob", "id-1")
                .header("X-Attempt", "2").header("X-Is-Hedge", "true").build(), HttpResponse.BodyHandlers.ofString());

        HttpResponse<String> primary = first.get();
        assertEquals(200, hedge.statusCode());
        assertEquals(primary.body(), hedge.body());
        assertEquals(primary.headers().firstValue("Content-Type"), hedge.headers().firstValue("Content-Type"));
        assertEquals("1", stats("/work/twice").get("runs"));
    }

    @Test
    void callersWithDifferentCredentialsAndTheSameRequestIdEachGetTheirOwnRun() throws Exception {
        CompletableFuture<HttpResponse<String>> alice = send(get("/work/creds?ms=1500", "Bearer alice", "shared-id")
                .build());
        awaitRuns("/work/creds", 1);
        HttpResponse<String> mallory = plain.send(get("/work/creds?ms=10", "Bearer mallory", "shared-id")
                .header("X-Is-Hedge", "true").build(), HttpResponse.BodyHandlers.ofString());

        assertTrue(mallory.body().endsWith("for Bearer mallory"), mallory.body());
        assertTrue(alice.get().body().endsWith("for Bearer alice"), alice.get().body());
        assertNotEquals(alice.get().body(), mallory.body());
        assertEquals("2", stats("/work/creds").get("runs"));
    }

    @Test
    void anIdempotencyKeyPostRetriedAfterItsResponseWasLostRunsOnceAndGetsTheSameResponse() throws Exception {
        Map<String, String> result = client.call(Call.of("jdk-send", "POST",
                "http://localhost:" + port + "/orders/lost?ms=2500").body("string", "pizza")
                .header("Idempotency-Key", "order-4711").header("Authorization", "Bearer alice"));

        assertEquals("201", result.get("status"), result.toString());
        assertTrue(result.get("body").matches("order \\d+ of pizza"), result.toString());
        Map<String, String> stats = stats("/orders/lost");
        assertTrue(Integer.parseInt(stats.get("arrivals")) >= 2, "the first attempt timed out: " + stats);
        assertEquals("1", stats.get("runs"));

        // Later, the same request again (a retry from another client instance, say): replayed.
        HttpResponse<String> again = plain.send(post("/orders/lost?ms=2500", "order-4711", "pizza").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, again.statusCode());
        assertEquals(result.get("body"), again.body());
        // The same key for another request is an error, as the Idempotency-Key draft says.
        HttpResponse<String> reused = plain.send(post("/orders/lost?ms=2500", "order-4711", "two pizzas").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(422, reused.statusCode());
        assertEquals("1", stats("/orders/lost").get("runs"));
    }

    @Test
    void atTheConcurrencyLimitRetriesAndHedgesAreRefusedWithTheSignalAndOriginalsServed() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> blocked = new ArrayList<>();
        for (int i = 0; i < MAX_CONCURRENCY; i++) {
            blocked.add(send(HttpRequest.newBuilder(URI.create(url("/block/limit"))).build()));
        }
        try {
            awaitRuns("/block/limit", MAX_CONCURRENCY);

            HttpResponse<String> retry = plain.send(HttpRequest.newBuilder(URI.create(url("/work/limit")))
                    .header("X-Request-ID", "r").header("X-Attempt", "2").header("X-Is-Hedge", "false").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, retry.statusCode());
            assertEquals("1", retry.headers().firstValue("Retry-After").orElse(null));
            assertEquals("1", retry.headers().firstValue("Tailguard-Shed").orElse(null));
            HttpResponse<String> hedge = plain.send(HttpRequest.newBuilder(URI.create(url("/work/limit")))
                    .header("X-Request-ID", "h").header("X-Attempt", "2").header("X-Is-Hedge", "true").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, hedge.statusCode());
            HttpResponse<String> original = plain.send(HttpRequest.newBuilder(URI.create(url("/work/limit")))
                    .header("X-Request-ID", "o").header("X-Attempt", "1").header("X-Is-Hedge", "false").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, original.statusCode(), "an original is admitted past the limit");
            assertEquals("1", stats("/work/limit").get("runs"));

            // A Tailguard client's retry of a 503 is refused, and the client does not retry the refusal
            // (through the policy that does not hedge, so that no hedge is on its way when the refusal comes).
            Map<String, String> result = client.call(Call.get("jdk-send",
                    "http://localhost:" + port + "/busy/limit"));
            assertEquals("503", result.get("status"));
            Map<String, String> busy = stats("/busy/limit");
            assertEquals("1", busy.get("runs"), "only the original reached the handler");
            assertEquals("2", busy.get("arrivals"), "the original and one refused retry, no third attempt");

            // A hedge refused is a lost attempt: the primary answers.
            Map<String, String> hedged = client.call(Call.get("jdk-send", url("/work/limit-hedged?ms=600")));
            assertEquals("200", hedged.get("status"), hedged.toString());
            assertEquals("2", stats("/work/limit-hedged").get("arrivals"));
            assertEquals("1", stats("/work/limit-hedged").get("runs"));
        } finally {
            server.send("server-release", Map.of(), 30);
        }
        for (CompletableFuture<HttpResponse<String>> b : blocked) {
            assertEquals(200, b.get().statusCode());
        }
        PrometheusScrape scrape = PrometheusScrape.of(metricsPort);
        assertTrue(scrape.value("tailguard_server_requests_total", "kind", "retry", "outcome", "shed",
                "shadow", "false") >= 2, scrape.text());
        assertTrue(scrape.value("tailguard_server_requests_total", "kind", "hedge", "outcome", "shed",
                "shadow", "false") >= 2, scrape.text());
    }

    @Test
    void tenThousandDistinctIdsAndOversizedTagsLeaveTheTablesWithinTheirBounds() throws Exception {
        Semaphore window = new Semaphore(8);
        AtomicInteger ok = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            window.acquire();
            all.add(plain.sendAsync(post("/orders/bounded", "key-" + i, "x").build(),
                    HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
                        window.release();
                        if (response != null && response.statusCode() == 201) {
                            ok.incrementAndGet();
                        }
                    }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
        assertEquals(10_000, ok.get());
        String huge = "k".repeat(8_000);
        HttpResponse<String> hugeKey = plain.send(post("/orders/bounded", huge, "x").header("X-Request-ID", huge)
                .header("X-Attempt", huge).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, hugeKey.statusCode(), "an oversized tag is an untracked original");

        PrometheusScrape scrape = PrometheusScrape.of(metricsPort);
        assertEquals(100.0, scrape.value("tailguard_server_replay_entries"), scrape.text());
        assertTrue(scrape.value("tailguard_server_replay_bytes") <= 64 * 1024, scrape.text());
        assertEquals(0.0, scrape.value("tailguard_server_tracked"), scrape.text());
        assertEquals("10001", stats("/orders/bounded").get("runs"));
    }

    private String url(String pathAndQuery) {
        return "http://127.0.0.1:" + port + pathAndQuery;
    }

    private HttpRequest.Builder get(String pathAndQuery, String authorization, String requestId) {
        return HttpRequest.newBuilder(URI.create(url(pathAndQuery))).header("Authorization", authorization)
                .header("X-Request-ID", requestId);
    }

    private HttpRequest.Builder post(String pathAndQuery, String key, String body) {
        return HttpRequest.newBuilder(URI.create(url(pathAndQuery))).header("Authorization", "Bearer alice")
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private CompletableFuture<HttpResponse<String>> send(HttpRequest request) {
        return plain.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    private Map<String, String> stats(String path) {
        return server.send("server-stats", Map.of("path", path), 30);
    }

    private void awaitRuns(String path, int runs) throws InterruptedException {
        Await.until(() -> Integer.parseInt(stats(path).get("runs")) >= runs, 30_000,
                runs + " handler runs of " + path);
    }
}
