package io.tailguard.it.okhttp;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Selective retries through OkHttp's {@code Call.execute} and {@code Call.enqueue}, on OkHttp 3.14,
 * 4.12 and 5, proven on the wire: the JDK client's retry scenarios, plus what is OkHttp's own
 * (interceptors on every attempt, OkHttp's retry of a stale pooled connection, one-shot bodies).
 */
@Timeout(120)
class OkHttpRetryTest {

    @AutoClose
    private static final OkHttpApps APPS = new OkHttpApps(
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.backoff.initial=10ms",
            "tailguard.policy.api.retry.backoff.max=50ms",
            "tailguard.policy.api.tagging=true");

    @AutoClose
    private final TestServer server = new TestServer();

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void retriesGetOn503UntilItSucceedsAndTagsEveryAttempt(String version, String api) throws Exception {
        server.enqueue(status(503), status(503), ok("hello"));

        Map<String, String> result = APPS.app(version).call(Call.get(api, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hello", result.get("body"));
        List<Arrival> arrivals = List.of(server.take(), server.take(), server.take());
        assertEquals(3, server.requestCount());
        String requestId = arrivals.get(0).header("X-Request-ID");
        assertNotNull(requestId);
        for (int i = 0; i < 3; i++) {
            Arrival arrival = arrivals.get(i);
            assertEquals(Integer.toString(i + 1), arrival.header("X-Attempt"));
            assertEquals("false", arrival.header("X-Is-Hedge"));
            assertEquals(requestId, arrival.header("X-Request-ID"));
            // The application's and the network interceptor ran for every attempt; execute() runs
            // the primary and its retries on the application's own thread, so the interceptor saw
            // the thread-local the application set there. enqueue() runs on OkHttp's threads.
            assertEquals("seen", arrival.header("X-Network-Interceptor"));
            assertEquals(api.endsWith("execute") ? "caller" : "none", arrival.header("X-Caller-Context"));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void returnsTheLastResponseWhenAttemptsRunOut(String version, String api) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).body("busy 1").build(),
                new MockResponse.Builder().code(503).body("busy 2").build(),
                new MockResponse.Builder().code(503).body("busy 3").build());

        Map<String, String> result = APPS.app(version).call(Call.get(api, server.url("/item")));

        assertEquals("503", result.get("status"));
        assertEquals("busy 3", result.get("body"));
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void neverRetriesPostWithoutIdempotencyKey(String version, String api) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = APPS.app(version).call(Call.of(api, "POST", server.url("/orders"))
                .body("string", "order"));

        assertEquals("503", result.get("status"));
        assertEquals("order", server.take().body());
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void retriesPostCarryingAnIdempotencyKey(String version, String api) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = APPS.app(version).call(Call.of(api, "POST", server.url("/orders"))
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

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void returnsNonTransientStatusesUnchangedAfterOneAttempt(String version, String api) throws Exception {
        for (int code : new int[] {400, 404, 500}) {
            server.enqueue(new MockResponse.Builder().code(code).body("answer " + code).build());

            Map<String, String> result = APPS.app(version).call(Call.get(api, server.url("/status/" + code)));

            assertEquals(Integer.toString(code), result.get("status"));
            assertEquals("answer " + code, result.get("body"));
            assertEquals("/status/" + code, server.take().request.getUrl().encodedPath());
        }
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void retriesAConnectionDroppedBeforeTheResponse(String version, String api) throws Exception {
        // A fresh connection to a single address that breaks after the request was sent: OkHttp
        // has no other route to try and gives up ("unexpected end of stream"); Tailguard retries.
        MockResponse drop = new MockResponse.Builder()
                .onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
        server.enqueue(drop, ok("second time lucky"));

        Map<String, String> result = APPS.app(version).call(Call.get(api, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("second time lucky", result.get("body"));
        assertEquals("1", server.take().header("X-Attempt"));
        assertEquals("2", server.take().header("X-Attempt"));
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void okHttpsOwnRetryOfAStalePooledConnectionStaysInsideOneAttempt(String version, String api) throws Exception {
        // The server closes the connection after the first response. The second call finds it in
        // OkHttp's pool, fails on it, and OkHttp retries on a new connection by itself
        // (retryOnConnectionFailure): one Tailguard attempt, two requests on the wire.
        MockResponse thenClose = new MockResponse.Builder().code(200).body("first")
                .onResponseEnd(new SocketEffect.CloseSocket(true, false, false)).build();
        server.enqueue(thenClose, ok("second"));
        assertEquals("first", APPS.app(version).call(Call.get(api, server.url("/warm"))).get("body"));
        server.take();

        Map<String, String> result = APPS.app(version).call(Call.get(api, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("second", result.get("body"));
        assertEquals("1", server.take().header("X-Attempt"));
        assertEquals(2, server.requestCount());
        assertEquals(2, server.connectionsOpened());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void replaysTheRequestBodyIntactOnEveryAttempt(String version, String api) throws Exception {
        String body = "payload-" + "x".repeat(20_000);
        MockResponse dropBeforeResponding = new MockResponse.Builder()
                .onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
        server.enqueue(dropBeforeResponding, status(503), ok("stored"));

        Map<String, String> result = APPS.app(version).call(Call.of(api, "PUT", server.url("/blob")).body("bytes", body));

        assertEquals("200", result.get("status"), result.toString());
        for (int attempt = 1; attempt <= 3; attempt++) {
            Arrival arrival = server.take();
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            assertEquals(body, arrival.body());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void neverSendsAOneShotBodyTwice(String version, String api) throws Exception {
        server.enqueue(status(503), ok("stored"));

        Map<String, String> result = APPS.app(version).call(Call.of(api, "PUT", server.url("/blob"))
                .body("oneShot", "once"));

        assertEquals("503", result.get("status"));
        assertEquals("once", server.take().body());
        assertEquals(1, server.requestCount());
    }
}
