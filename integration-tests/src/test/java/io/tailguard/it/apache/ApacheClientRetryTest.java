package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.PrometheusScrape;
import io.tailguard.it.TestServer.Arrival;
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
 * The clients' built-in retries and Tailguard's, on the wire. The rule: a status Tailguard
 * retries itself is Tailguard's alone (the client's 429/503 retry stands aside, so a 503 costs
 * one request per Tailguard attempt, not two, and no extra second); where Tailguard will not
 * retry (a POST without Idempotency-Key, a status its policy does not list) the client retries
 * exactly as without the agent. Re-sends of a request whose connection broke stay with the
 * client. Every re-send by the client is part of one attempt: it carries that attempt's
 * {@code X-Attempt}.
 */
@Timeout(120)
class ApacheClientRetryTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING, ApacheApps.POLICY + "retry.max-attempts=2");

    /** The same application without the agent: what "as without Tailguard" means, measured. */
    @AutoClose
    private static final AgentedApp withoutAgent = ApacheApps.withoutAgent();

    /** A policy that retries and tags, but does not count 503 as transient. */
    @AutoClose
    private static final AgentedApp not503 = ApacheApps.start(ApacheApps.RETRYING,
            ApacheApps.POLICY + "retry.on=connect,reset,timeout,502,504");

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

    /**
     * A POST without Idempotency-Key that gets 503, then 200. The clients' status retries do not
     * look at the method (5.x: {@code HttpRequestRetryExec} asks the strategy with the response
     * alone, and checks only that the entity is repeatable; 4.5's
     * {@code ServiceUnavailableRetryExec} likewise), so without the agent the application gets
     * the 200 a second later. Tailguard will not retry this request itself; with a policy that
     * tags it, the application must still get what it gets without the agent, from as many
     * requests, each carrying the number of the one Tailguard attempt they belong to.
     */
    @ParameterizedTest
    @CsvSource({"apache4,on", "apache5,", "apache5-async,"})
    void aPostTheClientRecoversByItselfIsRecoveredAsWithoutTheAgent(String client, String statusRetry)
            throws Exception {
        Call call = Call.of(client, "POST", server.url("/orders")).body("string", "order");
        if (statusRetry != null) {
            call.option("statusRetry", statusRetry);
        }

        server.enqueue(status(503), ok("created"));
        Map<String, String> plain = withoutAgent.call(call);
        int plainRequests = server.requestCount();
        server.drain();
        server.enqueue(status(503), ok("created"));
        Map<String, String> agented = app.call(call);
        int agentedRequests = server.requestCount() - plainRequests;

        assertEquals("200", plain.get("status"), "without the agent: " + plain);
        assertEquals(2, plainRequests);
        assertEquals(plain.get("status"), agented.get("status"), "with the agent: " + agented);
        assertEquals(plain.get("body"), agented.get("body"));
        assertEquals(plainRequests, agentedRequests);
        List<Arrival> arrivals = List.of(server.take(), server.take());
        for (Arrival arrival : arrivals) {
            assertEquals("order", arrival.body());
            assertEquals("1", arrival.header("X-Attempt"), "the client's re-send belongs to attempt 1");
        }
        assertEquals(arrivals.get(0).header("X-Request-ID"), arrivals.get(1).header("X-Request-ID"));
    }

    /**
     * The client's own re-send is part of the attempt it happens in: the server counts two
     * requests, the metrics one logical request with one (primary) attempt.
     */
    @Test
    void aResendByTheClientIsCountedAsPartOfItsAttemptNotAsAnAttempt() throws Exception {
        int port = PrometheusScrape.freePort();
        try (AgentedApp metered = ApacheApps.start(ApacheApps.RETRYING,
                "tailguard.metrics.prometheus.port=" + port)) {
            server.enqueue(status(503), ok("created"));

            Map<String, String> result = metered.call(Call.of("apache5", "POST", server.url("/orders"))
                    .body("string", "order"));

            assertEquals("200", result.get("status"), result.toString());
            assertEquals(List.of("1", "1"), attemptHeaders(2));
            PrometheusScrape scrape = PrometheusScrape.of(port);
            assertEquals(1.0, scrape.value("tailguard_requests_total", "outcome", "success", "policy", "api"),
                    scrape.text());
            assertEquals(1.0, scrape.value("tailguard_attempts_total", "kind", "primary", "policy", "api",
                    "shadow", "false"), scrape.text());
            assertEquals(0.0, scrape.value("tailguard_attempts_total", "kind", "retry", "policy", "api",
                    "shadow", "false"), scrape.text());
        }
    }

    /**
     * A GET Tailguard may retry, but not on this status (its policy leaves 503 out of
     * {@code retry.on}): the client's own 503 retry runs as without the agent, inside attempt 1.
     */
    @ParameterizedTest
    @CsvSource({"apache4,on", "apache5,", "apache5-async,"})
    void aStatusThePolicyDoesNotRetryIsLeftToTheClientsOwnRetry(String client, String statusRetry)
            throws Exception {
        server.enqueue(status(503), ok("after a second"));
        Call call = Call.get(client, server.url("/item"));
        if (statusRetry != null) {
            call.option("statusRetry", statusRetry);
        }

        Map<String, String> result = not503.call(call);

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("after a second", result.get("body"));
        assertTrue(Long.parseLong(result.get("elapsedMs")) >= 900, "the client's own pause: " + result);
        assertEquals(List.of("1", "1"), attemptHeaders(2));
        assertEquals(2, server.requestCount());
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
