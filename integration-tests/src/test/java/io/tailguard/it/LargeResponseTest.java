package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bounded memory: an application with a 64 MiB heap streams a retryable response far larger than
 * its heap (a 503 with a 300 MiB body) through every client exactly as without the agent, while a
 * small one is still retried. The server generates bodies as it writes them; the application
 * counts and checksums what it reads.
 *
 * <p>The JDK and Apache clients hold a retryable response in memory in case it becomes the answer;
 * past {@code tailguard.buffer.max-response-bytes} (decided at the headers when the length is
 * announced) the request is committed to it and not retried. OkHttp holds nothing: the response
 * it may retry stays unread in its connection, so it is retried whatever its size.
 */
class LargeResponseTest {

    private static final long LARGE = 300L * 1024 * 1024;
    private static final List<String> HOLDING_CLIENTS = List.of(
            "jdk-send", "jdk-async", "apache4", "apache5", "apache5-async-streaming");
    private static final List<String> ALL_CLIENTS = List.of(
            "jdk-send", "jdk-async", "apache4", "apache5", "apache5-async-streaming", "okhttp-execute");
    /**
     * Further holding clients proven on the single-request cases: HttpAsyncClient 4.1 (future and
     * callback, streaming into the application's {@code AsyncByteConsumer} for a counted body) and
     * the deprecated {@code DefaultHttpClient}, whose one connection takes one call at a time.
     */
    private static final List<String> MORE_HOLDING_CLIENTS = List.of(
            "apache4-async", "apache4-async-callback", "apache4-default");
    private static final AtomicInteger IDS = new AtomicInteger();

    private static LargeBodyServer server;
    private static AgentedApp app;
    private static int metricsPort;
    private static long largeCrc;

    @BeforeAll
    static void start() throws Exception {
        server = new LargeBodyServer();
        metricsPort = PrometheusScrape.freePort();
        app = smallHeapApp(
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.retry.backoff.max=50ms",
                "tailguard.metrics.prometheus.port=" + metricsPort,
                "tailguard.log.level=debug");
        largeCrc = LargeBodyServer.crcOf(LARGE);
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static AgentedApp smallHeapApp(String... config) {
        return AgentedApp.withConfig(String.join("\n", config))
                .jvmOption("-Xmx64m")
                .classpath(AgentedApp.clientClasspath("apache-4.5"))
                .classpath(AgentedApp.clientClasspath("apache-async-4.1"))
                .classpath(AgentedApp.clientClasspath("apache-5"))
                .classpath(AgentedApp.clientClasspath("okhttp-5"))
                .start();
    }

    static Stream<Arguments> clientsAndFramings() {
        List<Arguments> all = new ArrayList<>();
        for (String client : everyClient()) {
            for (String framing : List.of("length", "close", "chunked")) {
                all.add(Arguments.of(client, framing));
            }
        }
        return all.stream();
    }

    static Stream<String> allClients() {
        return ALL_CLIENTS.stream();
    }

    private static List<String> everyClient() {
        List<String> all = new ArrayList<>(ALL_CLIENTS);
        all.addAll(MORE_HOLDING_CLIENTS);
        return all;
    }

    static Stream<String> everyClientOnce() {
        return everyClient().stream();
    }

    private static boolean holds(String client) {
        return HOLDING_CLIENTS.contains(client) || MORE_HOLDING_CLIENTS.contains(client);
    }

    static Stream<String> holdingClients() {
        return HOLDING_CLIENTS.stream();
    }

    private static Map<String, String> counted(String client, String url) {
        Call call = Call.get(client, url).option("consume", "count").option("handler", "inputStream");
        return app.send("call", call.asMap(), 90);
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("clientsAndFramings")
    void a503With300MiBBodyReachesTheApplicationWholeAndStreamed(String client, String framing) {
        String id = "large-" + IDS.incrementAndGet();
        Map<String, String> got = counted(client, server.url("/big?id=" + id + "&size=" + LARGE + "&framing=" + framing));

        assertEquals("503", got.get("status"), () -> "the application got " + got + "\n" + app.stderr());
        assertEquals(Long.toString(LARGE), got.get("bodyBytes"), "every byte, in a 64 MiB heap");
        assertEquals(Long.toString(largeCrc), got.get("bodyCrc"), "in order");
        assertFalse(app.stderr().contains("OutOfMemoryError"), app.stderr());
        if (holds(client)) {
            assertEquals(1, server.requests(id), "too large to hold: the request is committed to it, not retried");
        } else {
            assertEquals(3, server.requests(id), "OkHttp holds nothing: the 503 is retried as any other");
        }
    }

    @ParameterizedTest
    @MethodSource("everyClientOnce")
    void a503WithABodyOfExactlyTheLimitIsStillRetried(String client) {
        for (String framing : List.of("length", "chunked")) {
            String id = "limit-" + IDS.incrementAndGet();
            Map<String, String> got = app.send("call", Call.get(client, server.url(
                    "/once?id=" + id + "&size=65536&framing=" + framing)).asMap(), 60);

            assertEquals("200", got.get("status"), () -> framing + ": " + got + "\n" + app.stderr());
            assertEquals("ok", got.get("body"));
            assertEquals(2, server.requests(id), framing);
        }
    }

    /** The holding clients, and the Apache classic clients' response-handler API. */
    static Stream<String> holdingClientsAndHandlers() {
        return Stream.of(HOLDING_CLIENTS.stream(), MORE_HOLDING_CLIENTS.stream(),
                Stream.of("apache4-handler", "apache5-handler")).flatMap(clients -> clients);
    }

    @ParameterizedTest
    @MethodSource("holdingClientsAndHandlers")
    void a503OneByteOverTheLimitIsNotRetriedAndArrivesWhole(String client) {
        for (String framing : List.of("length", "chunked", "close")) {
            String id = "over-" + IDS.incrementAndGet();
            Map<String, String> got = counted(client, server.url("/once?id=" + id + "&size=65537&framing=" + framing));

            assertEquals("503", got.get("status"), () -> framing + ": " + got + "\n" + app.stderr());
            assertEquals("65537", got.get("bodyBytes"), framing);
            assertEquals(Long.toString(LargeBodyServer.crcOf(65537)), got.get("bodyCrc"), framing);
            assertEquals(1, server.requests(id), framing);
        }
    }

    @Test
    void aCommittedRequestIsCountedAndLoggedAtDebug() throws Exception {
        String id = "metric-" + IDS.incrementAndGet();
        Map<String, String> got = counted("jdk-send", server.url("/big?id=" + id + "&size=1000000&framing=chunked"));
        assertEquals("1000000", got.get("bodyBytes"));

        app.awaitStderrLines("policy api: a retryable response's body is longer than tailguard.buffer.max-response-bytes "
                + "\\(65536\\); the request is committed", 1, java.time.Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Double committed = null;
        while (System.nanoTime() < deadline) {
            try {
                committed = PrometheusScrape.of(metricsPort).value("tailguard_buffer_committed_total", "policy", "api");
            } catch (Exception endpointNotUpYet) {
                // it opens about 2 s after start-up
            }
            if (committed != null && committed >= 1) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(committed != null && committed >= 1, "tailguard_buffer_committed_total: " + committed);
    }

    /**
     * A hedge answered by a 503 too large to hold commits the request at its headers: it is the
     * answer, and the primary still waiting for its response is cancelled as for any winner.
     */
    @Test
    void aHedgeAnsweredByA503TooLargeToHoldWinsAndThePrimaryIsCancelled() throws Exception {
        try (AgentedApp hedging = smallHeapApp(
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.hedge.delay=100ms")) {
            for (String client : HOLDING_CLIENTS) {
                String id = "hedged-" + IDS.incrementAndGet();
                Map<String, String> got = hedging.send("call", Call.get(client, server.url("/slow-first?id=" + id
                        + "&size=1000000&framing=length")).option("consume", "count").option("handler", "inputStream")
                        .asMap(), 60);

                assertEquals("503", got.get("status"), () -> client + ": " + got + "\n" + hedging.stderr());
                assertEquals("1000000", got.get("bodyBytes"), client);
                assertEquals(Long.toString(LargeBodyServer.crcOf(1_000_000)), got.get("bodyCrc"), client);
                assertEquals(2, server.requests(id), client);
                assertTrue(Long.parseLong(got.get("elapsedMs")) < 2_500,
                        client + ": the primary (3 s) was not waited for: " + got);
            }
        }
    }

    /**
     * Limits set far beyond the heap: holding a 300 MiB 503 runs out of memory in the agent's own
     * copy, which is then committed as if a limit was reached: the application gets the response
     * whole, goes on working, and its JVM exits when asked.
     */
    @ParameterizedTest
    @MethodSource("holdingClients")
    void anOutOfMemoryErrorWhileHoldingEndsTheRequestAndTheApplicationStillExits(String client) throws Exception {
        AgentedApp careless = smallHeapApp(
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.buffer.max-response-bytes=1g",
                "tailguard.buffer.max-total-bytes=1g");
        try {
            String id = "oom-" + IDS.incrementAndGet();
            Map<String, String> got = careless.send("call", Call.get(client, server.url("/big?id=" + id + "&size="
                    + LARGE + "&framing=chunked")).option("consume", "count").option("handler", "inputStream")
                    .asMap(), 90);
            assertEquals("503", got.get("status"), () -> "committed when the heap ran out: " + got + "\n"
                    + careless.stderr());
            assertEquals(Long.toString(LARGE), got.get("bodyBytes"));
            assertEquals(Long.toString(largeCrc), got.get("bodyCrc"));
            assertEquals(1, server.requests(id));

            Map<String, String> after = careless.send("call", Call.get(client, server.url("/once?id=" + id
                    + "-after&size=10&framing=length")).asMap(), 60);
            assertEquals("200", after.get("status"), () -> "the application works on: " + after);
            assertTrue(careless.exitsWithin(20), "the JVM exits when asked:\n" + careless.stderr());
        } finally {
            careless.close();
        }
    }

    /**
     * Twelve 20 MiB 503s at once, each allowed 4 MiB, all together 8 MiB: held whole they would be
     * 48 MiB of a 64 MiB heap; the JVM-wide limit commits them instead. Every one arrives whole, and
     * the heap after the run is back where an idle application's is.
     */
    @ParameterizedTest
    @MethodSource("allClients")
    void concurrentLargeRetryableResponsesStayUnderTheJvmWideLimit(String client) throws Exception {
        long size = 20L * 1024 * 1024;
        long crc = LargeBodyServer.crcOf(size);
        try (AgentedApp limited = smallHeapApp(
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.retry.backoff.max=50ms",
                "tailguard.buffer.max-response-bytes=4m",
                "tailguard.buffer.max-total-bytes=8m")) {
            List<String> ids = new ArrayList<>();
            List<CompletableFuture<Map<String, String>>> calls = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String id = "concurrent-" + IDS.incrementAndGet();
                ids.add(id);
                calls.add(limited.callAsync(Call.get(client, server.url("/big?id=" + id + "&size=" + size
                        + "&framing=chunked")).option("consume", "count").option("handler", "inputStream")));
            }
            for (CompletableFuture<Map<String, String>> call : calls) {
                Map<String, String> got = call.get(120, TimeUnit.SECONDS);
                assertEquals("503", got.get("status"), () -> got + "\n" + limited.stderr());
                assertEquals(Long.toString(size), got.get("bodyBytes"));
                assertEquals(Long.toString(crc), got.get("bodyCrc"));
            }
            assertFalse(limited.stderr().contains("OutOfMemoryError"), limited.stderr());
            int usedMiB = Integer.parseInt(limited.send("heap", Map.of(), 60).get("usedMiB"));
            assertTrue(usedMiB < 24, "heap after GC: " + usedMiB + " MiB");
            for (String id : ids) {
                assertEquals(HOLDING_CLIENTS.contains(client) ? 1 : 3, server.requests(id), client);
            }
        }
    }
}
