package io.tailguard.it.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.Call;
import io.tailguard.it.SelfSignedTls;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every OkHttp version over HTTPS, against a server that offers HTTP/2 by ALPN, which OkHttp takes:
 * attempts are streams of one connection. A retried request, a hedge beating a slow primary (the
 * loser's stream is reset and the connection serves the next call), an answer far larger than a
 * test's usual few bytes.
 */
@Timeout(180)
class OkHttpHttpsTest {

    private static final SelfSignedTls TLS = SelfSignedTls.create();
    private static OkHttpApps apps;
    private TestServer server;

    @BeforeAll
    static void startApplications() {
        apps = new OkHttpApps(TLS,
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.tagging=true",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.hedge.delay=1s");
    }

    @AfterAll
    static void stopApplications() throws Exception {
        apps.close();
    }

    @BeforeEach
    void startServer() {
        server = new TestServer(TLS.serverSockets());
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void aRequestAnswered503IsRetriedOverHttp2WithItsTags(String version, String api) throws Exception {
        server.enqueue(TestServer.status(503), TestServer.ok("fine"));

        Map<String, String> result = apps.app(version).call(Call.get(api, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("fine", result.get("body"));
        Arrival first = server.take();
        Arrival second = server.take();
        assertEquals("HTTP/2", first.request.getVersion());
        assertNotNull(second.request.getHandshake(), "over TLS");
        assertEquals("1", first.header("X-Attempt"));
        assertEquals("2", second.header("X-Attempt"));
        assertEquals(first.header("X-Request-ID"), second.header("X-Request-ID"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void aSlowPrimaryIsBeatenByItsHedgeOnTheSameConnectionWhichServesTheNextCall(String version, String api)
            throws Exception {
        server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? TestServer.ok("hedge")
                : request.getUrl().encodedPath().equals("/next") ? TestServer.ok("next")
                : new MockResponse.Builder().code(200).body("slow primary")
                        .headersDelay(3_000, TimeUnit.MILLISECONDS).build());

        Map<String, String> result = apps.app(version).call(Call.get(api, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hedge", result.get("body"));
        Arrival primary = server.take();
        Arrival hedge = server.take();
        assertEquals("HTTP/2", hedge.request.getVersion());
        assertEquals("false", primary.header("X-Is-Hedge"));
        assertEquals("true", hedge.header("X-Is-Hedge"));
        assertEquals(primary.header("X-Request-ID"), hedge.header("X-Request-ID"));
        assertEquals(primary.request.getConnectionIndex(), hedge.request.getConnectionIndex(), "one connection");

        assertEquals("next", apps.app(version).call(Call.get(api, server.url("/next"))).get("body"));
        assertEquals(primary.request.getConnectionIndex(), server.take().request.getConnectionIndex());
    }

    /** 4 MiB over HTTP/2, with a hedge armed and not firing: the body arrives whole, from one attempt. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void aLargeAnswerArrivesWhole(String version, String api) throws Exception {
        String body = "0123456789abcdef".repeat(256 * 1024);
        // A connection already open, so that no TLS handshake delays the answer past the hedge delay.
        server.enqueue(TestServer.ok("warm"), new MockResponse.Builder().code(200).body(body).build());
        assertEquals("200", apps.app(version).call(Call.get(api, server.url("/warm-up"))).get("status"));
        server.drain();

        Map<String, String> result = apps.app(version).call(Call.get(api, server.url("/large")));

        assertEquals("200", result.get("status"), result.get("status"));
        String received = result.get("body");
        assertEquals(body.length(), received.length());
        assertTrue(body.equals(received), "in order");
        assertEquals(2, server.requestCount(), "the warm-up and the one attempt");
    }
}
