package io.tailguard.it.jdk;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Selective retries through {@code HttpClient.send} and {@code sendAsync}, proven on the wire. */
@Timeout(120)
class JdkRetryTest {

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.backoff.initial=10ms",
            "tailguard.policy.api.retry.backoff.max=50ms",
            "tailguard.policy.api.tagging=true")).start();

    @AutoClose
    private final TestServer server = new TestServer();

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void retriesGetOn503UntilItSucceedsAndTagsEveryAttempt(String client) throws Exception {
        server.enqueue(status(503), status(503), ok("hello"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hello", result.get("body"));
        List<Arrival> arrivals = List.of(server.take(), server.take(), server.take());
        assertEquals(3, server.requestCount());
        String requestId = arrivals.get(0).header("X-Request-ID");
        assertNotNull(requestId);
        for (int i = 0; i < 3; i++) {
            assertEquals(Integer.toString(i + 1), arrivals.get(i).header("X-Attempt"));
            assertEquals("false", arrivals.get(i).header("X-Is-Hedge"));
            assertEquals(requestId, arrivals.get(i).header("X-Request-ID"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void everyAttemptCarriesTheTimeTheClientStillWaitsForIt(String client) throws Exception {
        server.enqueue(status(503), status(503), ok("hello"));

        // The request's own timeout (HttpRequest.timeout) is shorter than the policy's 10 s.
        Map<String, String> result = app.call(Call.get(client, server.url("/item")).timeoutMs(5_000));

        assertEquals("200", result.get("status"), result.toString());
        long previous = 5_001;
        for (int i = 0; i < 3; i++) {
            long waits = Long.parseLong(server.take().header("X-Request-Timeout-Ms"));
            assertTrue(waits > 0 && waits < previous, "attempt " + (i + 1) + " waits " + waits + " ms, after "
                    + previous);
            previous = waits;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void returnsTheLastResponseWhenAttemptsRunOut(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).body("busy 1").build(),
                new MockResponse.Builder().code(503).body("busy 2").build(),
                new MockResponse.Builder().code(503).body("busy 3").build());

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("503", result.get("status"));
        assertEquals("busy 3", result.get("body"));
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void neverRetriesPostWithoutIdempotencyKey(String client) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders")).body("string", "order"));

        assertEquals("503", result.get("status"));
        assertEquals("order", server.take().body());
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void retriesPostCarryingAnIdempotencyKey(String client) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders"))
                .header("Idempotency-Key", "order-17").body("string", "order"));

        assertEquals("200", result.get("status"));
        assertEquals("created", result.get("body"));
        Arrival first = server.take();
        Arrival second = server.take();
        assertEquals("order", first.body());
        assertEquals("order", second.body());
        assertEquals("order-17", second.header("Idempotency-Key"));
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void returnsNonTransientStatusesUnchangedAfterOneAttempt(String client) throws Exception {
        for (int code : new int[] {400, 404, 500}) {
            server.enqueue(new MockResponse.Builder().code(code).body("answer " + code).build());

            Map<String, String> result = app.call(Call.get(client, server.url("/status/" + code)));

            assertEquals(Integer.toString(code), result.get("status"));
            assertEquals("answer " + code, result.get("body"));
            assertEquals("/status/" + code, server.take().request.getUrl().encodedPath());
        }
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void retriesAConnectionDroppedAtStart(String client) throws Exception {
        // The JDK client itself resends an idempotent request once when a fresh connection closes
        // before any response; the second drop reaches Tailguard, which retries.
        MockResponse drop = new MockResponse.Builder()
                .onRequestStart(new SocketEffect.CloseSocket(true, false, false)).build();
        server.enqueue(drop, drop, ok("second time lucky"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")).option("version", "1.1"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("second time lucky", result.get("body"));
        assertEquals(3, server.connectionsOpened());
        // MockWebServer records a dropped connection as a request without headers.
        assertEquals(null, server.take().header("X-Attempt"));
        assertEquals(null, server.take().header("X-Attempt"));
        assertEquals("2", server.take().header("X-Attempt"));
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes", "inputStream", "string"})
    void replaysRequestBodiesIntactOnEveryAttempt(String bodyKind) throws Exception {
        String body = "payload-" + bodyKind + "-" + "x".repeat(10_000);
        MockResponse dropBeforeResponding = new MockResponse.Builder()
                .onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
        server.enqueue(dropBeforeResponding, status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of("jdk-send", "PUT", server.url("/blob")).body(bodyKind, body)
                .option("version", "1.1"));

        assertEquals("200", result.get("status"), result.toString());
        for (int attempt = 1; attempt <= 3; attempt++) {
            Arrival arrival = server.take();
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            assertEquals(body, arrival.body());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void neverSendsAOneShotBodyTwice(String client) throws Exception {
        server.enqueue(status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of(client, "PUT", server.url("/blob")).body("publisher", "once"));

        assertEquals("503", result.get("status"));
        assertEquals("once", server.take().body());
        assertEquals(1, server.requestCount());
    }
}
