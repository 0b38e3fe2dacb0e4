package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The deprecated {@code DefaultHttpClient} and {@code SystemDefaultHttpClient} of Apache HttpClient
 * 4.5 ({@code AbstractHttpClient}): retried, tagged and timed out per attempt like the other 4.5
 * clients, never hedged.
 */
@Timeout(120)
class ApacheLegacyClientTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING,
            ApacheApps.POLICY + "hedge.delay=50ms",
            ApacheApps.POLICY + "attempt-timeout=1s");

    @ParameterizedTest
    @ValueSource(strings = {"apache4-default", "apache4-system"})
    void retriesGetOn503UntilItSucceedsAndTagsEveryAttempt(String client) throws Exception {
        server.enqueue(status(503), status(503), ok("hello"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hello", result.get("body"));
        String requestId = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            Arrival arrival = server.take();
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            requestId = requestId == null ? arrival.header("X-Request-ID") : requestId;
            assertEquals(requestId, arrival.header("X-Request-ID"));
        }
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4-default", "apache4-system"})
    void replaysARepeatableBodyAndSendsAPostWithoutIdempotencyKeyOnce(String client) throws Exception {
        server.enqueue(status(503), ok("stored"), status(503));

        Map<String, String> put = app.call(Call.of(client, "PUT", server.url("/blob")).body("bytes", "blob"));
        Map<String, String> post = app.call(Call.of(client, "POST", server.url("/orders")).body("string", "order"));

        assertEquals("stored", put.get("body"), put.toString());
        assertEquals("blob", server.take().body());
        assertEquals("blob", server.take().body());
        assertEquals("503", post.get("status"), post.toString());
        assertEquals("order", server.take().body());
        assertEquals(3, server.requestCount());
    }

    /** The attempt is aborted on its own; the client's one connection is free for the retry. */
    @ParameterizedTest
    @ValueSource(strings = {"apache4-default", "apache4-system"})
    void abortsASilentAttemptAfterTheAttemptTimeoutAndNeverHedges(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).body("too late").headersDelay(5, TimeUnit.SECONDS).build(),
                ok("in time"));

        Map<String, String> result = app.call(Call.get(client, server.url("/slow")));

        assertEquals("in time", result.get("body"), result.toString());
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 4_000, result.toString());
        assertEquals("false", server.take().header("X-Is-Hedge"));
        Arrival retry = server.take();
        assertEquals("2", retry.header("X-Attempt"));
        assertEquals("false", retry.header("X-Is-Hedge"), "a hedge would have gone out after 50 ms");
        assertEquals(2, server.requestCount());
    }
}
