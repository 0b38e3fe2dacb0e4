package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The clients' built-in retries and Tailguard's, on the wire. The rule: status retries are
 * Tailguard's alone for the requests it handles (the client's default 429/503 retry stands aside,
 * so a 503 costs one request per Tailguard attempt, not two, and no extra second); re-sends of a
 * request whose connection broke stay with the client and are part of one attempt (they carry the
 * same {@code X-Attempt}).
 */
@Timeout(120)
class ApacheClientRetryTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING, ApacheApps.POLICY + "retry.max-attempts=2");

    private List<String> attemptHeaders(int arrivals) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < arrivals; i++) {
            seen.add(server.take().header("X-Attempt"));
        }
        return seen;
    }

    @ParameterizedTest
    @CsvSource({"apache4,on", "apache5,", "apache5-async,"})
    void retriesA503OnceAsTailguardNotAgainInsideTheClient(String client, String statusRetry) throws Exception {
        server.enqueue(status(503), status(503), ok("late"));
        Call call = Call.get(client, server.url("/item"));
        if (statusRetry != null) {
            // 4.5 has no status retry unless the application configures one; this one retries a 503 after 1 s.
            call.option("statusRetry", statusRetry);
        }

        Map<String, String> result = app.call(call);

        // Two Tailguard attempts, each one request: without the rule each attempt would be two
        // requests a second apart, and the third response (200) would reach the application.
        assertEquals("503", result.get("status"), result.toString());
        assertEquals(List.of("1", "2"), attemptHeaders(2));
        assertEquals(2, server.requestCount());
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 900, result.toString());
    }

    @Test
    void the5xClientStillRetriesA503OfAHostNoPolicyMatches() throws Exception {
        server.enqueue(status(503), ok("after a second"));

        Map<String, String> result = app.call(Call.get("apache5", server.unmatchedUrl("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertTrue(Long.parseLong(result.get("elapsedMs")) >= 900, result.toString());
        assertEquals(2, server.requestCount());
    }

    /**
     * The server reads each request and closes the connection without answering. 4.5 re-sends an
     * idempotent request up to 3 times on its own (NoHttpResponseException), 5.x classic once; the
     * 5.x async client sees a ConnectionClosedException, which its default strategy does not
     * retry. Only when the client gives up does Tailguard retry, and the client's re-sends carry
     * the attempt's own number.
     */
    @ParameterizedTest
    @CsvSource({"apache4,4", "apache5,2", "apache5-async,1"})
    void theClientsOwnResendsOfABrokenConnectionArePartOfOneAttempt(String client, int wirePerAttempt)
            throws Exception {
        MockResponse drop = new MockResponse.Builder()
                .onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
        for (int i = 0; i < wirePerAttempt; i++) {
            server.enqueue(drop);
        }
        server.enqueue(ok("second attempt"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("second attempt", result.get("body"));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < wirePerAttempt; i++) {
            expected.add("1");
        }
        expected.add("2");
        assertEquals(expected, attemptHeaders(wirePerAttempt + 1));
        assertEquals(wirePerAttempt + 1, server.requestCount());
    }

    @ParameterizedTest
    @CsvSource({"apache4", "apache5", "apache5-async"})
    void withTheClientsRetriesDisabledTailguardIsTheOnlyOneToRetry(String client) throws Exception {
        MockResponse drop = new MockResponse.Builder()
                .onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
        server.enqueue(drop, ok("second attempt"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")).option("clientRetry", "off"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals(List.of("1", "2"), attemptHeaders(2));
        assertEquals(2, server.requestCount());
    }
}
