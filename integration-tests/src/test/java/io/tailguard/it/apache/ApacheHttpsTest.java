package io.tailguard.it.apache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.SelfSignedTls;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Apache HttpClient 4.5, 5 classic and HttpAsyncClient 4.1 over HTTPS (HTTP/1.1: none of them
 * speaks HTTP/2), each with its default TLS set-up trusting the server's certificate: a retried
 * request, a hedge beating a slow primary, and an answer far larger than a test's usual few bytes.
 * HttpClient 5 async, which negotiates HTTP/2, has {@link Apache5AsyncHttpsTest}.
 */
@Timeout(120)
class ApacheHttpsTest {

    private static final SelfSignedTls TLS = SelfSignedTls.create();

    @AutoClose
    private static final AgentedApp app = ApacheApps.startTrusting(TLS,
            ApacheApps.POLICY + "hosts=127.0.0.1",
            ApacheApps.POLICY + "retry.backoff.initial=10ms",
            ApacheApps.POLICY + "retry.backoff.max=50ms",
            ApacheApps.POLICY + "hedge.delay=500ms",
            ApacheApps.POLICY + "tagging=true");

    @AutoClose
    private final TestServer server = new TestServer(TLS.serverSockets());

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache4-async"})
    void aRequestAnswered503IsRetriedOverTlsWithItsTagsAndTheApplicationGetsTheSecondAnswer(String client)
            throws Exception {
        server.enqueue(TestServer.status(503), TestServer.ok("fine"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("fine", result.get("body"));
        Arrival first = server.take();
        Arrival second = server.take();
        assertNotNull(first.request.getHandshake(), "over TLS");
        assertNotNull(second.request.getHandshake(), "over TLS");
        assertEquals("1", first.header("X-Attempt"));
        assertEquals("2", second.header("X-Attempt"));
        assertEquals(first.header("X-Request-ID"), second.header("X-Request-ID"));
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache4-async"})
    void aSlowPrimaryOverTlsIsBeatenByItsHedge(String client) throws Exception {
        server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? TestServer.ok("hedge")
                : new MockResponse.Builder().code(200).body("slow primary")
                        .headersDelay(3_000, TimeUnit.MILLISECONDS).build());

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hedge", result.get("body"));
        // Each attempt opens its own TLS connection: under load the hedge's may be up first.
        Arrival first = server.take();
        Arrival second = server.take();
        Arrival primary = "true".equals(first.header("X-Is-Hedge")) ? second : first;
        Arrival hedge = primary == first ? second : first;
        assertEquals("false", primary.header("X-Is-Hedge"));
        assertEquals("true", hedge.header("X-Is-Hedge"));
        assertEquals(primary.header("X-Request-ID"), hedge.header("X-Request-ID"));
        assertNotNull(hedge.request.getHandshake(), "over TLS");
    }

    /** 4 MiB over TLS, with a hedge armed and not firing: the body arrives whole, from one attempt. */
    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache4-async"})
    void aLargeAnswerOverTlsArrivesWhole(String client) throws Exception {
        String body = "0123456789abcdef".repeat(256 * 1024);
        // A connection in the pool already, so that no TLS handshake delays the answer past the hedge delay.
        server.enqueue(TestServer.ok("warm"), new MockResponse.Builder().code(200).body(body).build());
        assertEquals("200", app.call(Call.get(client, server.url("/warm-up"))).get("status"));
        server.drain();

        Map<String, String> result = app.call(Call.get(client, server.url("/large")).option("consume", "count"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals(String.valueOf(body.length()), result.get("bodyBytes"), result.toString());
        CRC32 crc = new CRC32();
        crc.update(body.getBytes(StandardCharsets.US_ASCII));
        assertEquals(Long.toString(crc.getValue()), result.get("bodyCrc"), "in order");
        assertEquals(2, server.requestCount(), "the warm-up and the one attempt");
    }
}
