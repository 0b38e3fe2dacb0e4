package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Selective retries and tagging through Apache HttpClient 4.5 classic, 5 classic and 5 async, and
 * HttpAsyncClient 4.1 (its future and its callback),
 * proven on the wire: the JDK client's retry scenarios, for each.
 */
@Timeout(120)
class ApacheRetryTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING);

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async", "apache4-async-callback"})
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
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async", "apache4-async-callback"})
    void returnsTheLastResponseWhenAttemptsRunOut(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).body("busy 1").build(),
                new MockResponse.Builder().code(503).body("busy 2").build(),
                new MockResponse.Builder().code(503).body("busy 3").build());

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("503", result.get("status"));
        assertEquals("busy 3", result.get("body"));
        assertEquals(3, server.requestCount());
        assertEquals(0, ApacheApps.leasedWhenSettled(app, client, Map.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async", "apache4-async-callback"})
    void neverRetriesPostWithoutIdempotencyKey(String client) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders")).body("string", "order"));

        Arrival first = server.take();
        assertEquals("order", first.body());
        assertEquals("1", first.header("X-Attempt"));
        if (client.startsWith("apache5")) {
            // Not Tailguard's to retry, so 5.x's own 503 retry re-sends it a second later, as it
            // does without the agent: within attempt 1.
            assertEquals("200", result.get("status"), result.toString());
            assertEquals("1", server.take().header("X-Attempt"));
            assertEquals(2, server.requestCount());
        } else {
            assertEquals("503", result.get("status"), result.toString());
            assertEquals(1, server.requestCount());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async", "apache4-async-callback"})
    void retriesPostCarryingAnIdempotencyKey(String client) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders"))
                .header("Idempotency-Key", "order-17").body("string", "order"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("created", result.get("body"));
        Arrival first = server.take();
        Arrival second = server.take();
        assertEquals("order", first.body());
        assertEquals("order", second.body());
        assertEquals("order-17", second.header("Idempotency-Key"));
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async", "apache4-async-callback"})
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
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async", "apache4-async-callback"})
    void keepsTheApplicationsRequestIdOnEveryAttempt(String client) throws Exception {
        server.enqueue(status(503), ok("hello"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")).header("X-Request-ID", "app-42"));

        assertEquals("200", result.get("status"), result.toString());
        Arrival first = server.take();
        Arrival second = server.take();
        assertEquals("app-42", first.header("X-Request-ID"));
        assertEquals("app-42", second.header("X-Request-ID"));
        assertEquals(List.of("app-42"), second.request.getHeaders().values("X-Request-ID"));
        assertEquals("2", second.header("X-Attempt"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache5", "apache5-async", "apache4-async", "apache4-async-callback"})
    void leavesHostsNoPolicyMatchesUntouched(String client) throws Exception {
        server.enqueue(status(503), ok("hello"));

        Map<String, String> result = app.call(Call.get(client, server.unmatchedUrl("/item")));

        Arrival first = server.take();
        assertNull(first.header("X-Attempt"));
        assertNull(first.header("X-Request-ID"));
        if (client.startsWith("apache5")) {
            // Untouched means the client's own retry too: 5.x retries a 503 once, after a second.
            assertEquals("200", result.get("status"), result.toString());
            assertTrue(Long.parseLong(result.get("elapsedMs")) >= 900, result.toString());
            assertNull(server.take().header("X-Attempt"));
            assertEquals(2, server.requestCount());
        } else {
            assertEquals("503", result.get("status"), result.toString());
            assertEquals(1, server.requestCount());
        }
    }
}
