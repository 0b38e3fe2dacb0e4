package io.tailguard.it.apache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hedging through Apache HttpClient 4.5 classic, 5 classic and 5 async, and HttpAsyncClient 4.1,
 * with {@code hedge.delay=50ms}:
 * the first usable response wins, the loser is aborted on its own (never the winner) and its
 * connection goes back to the pool; tags tell the attempts apart.
 */
@Timeout(120)
class ApacheHedgeTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(
            ApacheApps.POLICY + "hosts=127.0.0.1",
            ApacheApps.POLICY + "hedge.delay=50ms",
            ApacheApps.POLICY + "tagging=true");

    /**
     * A cold client can take longer than the hedge delay before its primary even leaves (class
     * loading, compilation, the first connections): the tests that compare timings start from a
     * warm one.
     */
    private int warmUp(String client) {
        for (int i = 0; i < 3; i++) {
            app.call(Call.get(client, server.url("/warm-up")));
        }
        server.drain();
        return server.requestCount();
    }

    private static MockResponse delayed(String body, long millis) {
        return new MockResponse.Builder().code(200).body(body).headersDelay(millis, TimeUnit.MILLISECONDS).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache5-async-streaming", "apache4-async",
        "apache4-async-callback"})
    void hedgesASlowPrimaryAndTheHedgeWins(String client) throws Exception {
        int before = warmUp(client);
        server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? delayed("fast hedge", 0) : delayed("slow primary", 3_000));

        Map<String, String> result = app.call(Call.get(client, server.url("/search")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("fast hedge", result.get("body"));
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 2_000, result.toString());
        // Told apart by their tags, not their order: a primary that meets a stale pooled connection
        // is re-sent by the client itself and can reach the server after its hedge.
        server.takePrimaryAndHedge();
        assertEquals(before + 2, server.requestCount());
        assertEquals(0, ApacheApps.leasedWhenSettled(app, client, Map.of()));
    }

    /**
     * A warm client's primary takes its connection straight from the pool. Losing to the hedge, it
     * is aborted: its connection leaves the pool at once, not when the slow primary would have
     * answered (HttpClient 5 async does not abort such an exchange when its future is cancelled).
     */
    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache5-async-streaming", "apache4-async"})
    void aLosingPrimaryOnAPooledConnectionIsAbortedAndItsConnectionFreed(String client) throws Exception {
        warmUp(client);
        server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? delayed("fast hedge", 0) : delayed("slow primary", 20_000));

        Map<String, String> result = app.call(Call.get(client, server.url("/search")));

        assertEquals("fast hedge", result.get("body"), result.toString());
        // Within 5 s: the primary, left running, would hold its connection for 20 s.
        assertEquals(0, ApacheApps.leasedWhenSettled(app, client, Map.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async"})
    void thePrimaryWinsWhenItAnswersBeforeTheHedge(String client) throws Exception {
        int before = warmUp(client);
        server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? delayed("slow hedge", 3_000) : delayed("primary", 300));

        Map<String, String> result = app.call(Call.get(client, server.url("/search")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("primary", result.get("body"));
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 2_000, result.toString());
        assertEquals(before + 2, server.requestCount());
        assertEquals(0, ApacheApps.leasedWhenSettled(app, client, Map.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async"})
    void sendsNoHedgeWhenThePrimaryAnswersInTime(String client) throws Exception {
        server.respondWith(request -> delayed("quick", 0));
        int before = warmUp(client);

        Map<String, String> result = app.call(Call.get(client, server.url("/search")));

        assertEquals("quick", result.get("body"), result.toString());
        assertEquals("false", server.take().header("X-Is-Hedge"));
        assertEquals(before + 1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async"})
    void neverHedgesAPost(String client) throws Exception {
        server.respondWith(request -> delayed("created", 300));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders")).body("string", "order"));

        assertEquals("created", result.get("body"), result.toString());
        assertEquals(1, server.requestCount());
    }
}
