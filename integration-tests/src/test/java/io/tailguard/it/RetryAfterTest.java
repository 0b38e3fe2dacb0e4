package io.tailguard.it;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.TestServer.Arrival;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a retryable answer's headers ask of the next attempt, for every client API, each of whose
 * adapters reads them from its client's own header structures (the JDK client's sorted map, the
 * JDK connection's header list, OkHttp's {@code Headers}, Apache's header groups):
 * {@code Retry-After} replaces the computed backoff, one past the deadline means no retry, and a
 * 503 a Tailguard server side shed ({@code Tailguard-Shed}) is not retried.
 */
@Timeout(120)
class RetryAfterTest {

    // Tagging stays off here: the requests must carry no Tailguard headers at all.
    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.timeout=5s",
            "tailguard.policy.api.retry.backoff.initial=10ms"))
            .everyClient()
            .start();

    @AutoClose
    private final TestServer server = new TestServer();

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void waitsTheSecondsRetryAfterAsksFor(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "1").body("later").build(),
                ok("now"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"));
        Arrival first = server.take();
        Arrival second = server.take();
        long gapMillis = (second.nanos - first.nanos) / 1_000_000;
        assertTrue(gapMillis >= 950, "the retry waited for Retry-After: " + gapMillis + " ms");
        assertNull(first.header("X-Attempt"), "tagging is off in this policy");
        assertNull(second.header("X-Request-ID"));
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void waitsUntilTheHttpDateRetryAfterNames(String client) throws Exception {
        String inTwoSeconds = DateTimeFormatter.RFC_1123_DATE_TIME
                .format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(2).withNano(0));
        server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", inTwoSeconds).build(), ok("now"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"));
        long gapMillis = (server.take().nanos - server.take().nanos) / -1_000_000;
        assertTrue(gapMillis >= 900 && gapMillis <= 3_000, "waited until the date (whole seconds): " + gapMillis);
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void aRetryAfterBeyondTheDeadlineReturnsTheResponseAtOnce(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "30").body("go away").build(),
                ok("never sent"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("503", result.get("status"));
        assertEquals("go away", result.get("body"));
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 2_000, result.toString());
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void aShedAnswerIsNotRetriedAndThePlainOneIs(String client) throws Exception {
        // In order: the shed 503 for the first call, then the plain 503 and the 200 for the second;
        // a retry of the first would take the second's answers and end with the 200.
        server.enqueue(new MockResponse.Builder().code(503).setHeader("Tailguard-Shed", "1").body("shed").build(),
                new MockResponse.Builder().code(503).body("busy").build(), ok("now"));

        Map<String, String> shed = app.call(Call.get(client, server.url("/shed")));
        Map<String, String> busy = app.call(Call.get(client, server.url("/busy")));

        assertEquals("503", shed.get("status"), "a shed attempt is the server's answer: no retry");
        assertEquals("shed", shed.get("body"));
        assertEquals("200", busy.get("status"), "the same answer without the shed header is retried");
        assertEquals("now", busy.get("body"));
        assertEquals(3, server.requestCount());
    }
}
