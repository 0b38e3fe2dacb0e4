package io.tailguard.it.jdk;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code Retry-After} replaces the computed backoff; one past the deadline means no retry. */
@Timeout(120)
class JdkRetryAfterTest {

    // Tagging stays off here: the requests must carry no Tailguard headers at all.
    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.timeout=5s",
            "tailguard.policy.api.retry.backoff.initial=10ms")).start();

    @AutoClose
    private final TestServer server = new TestServer();

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
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
    @ValueSource(strings = {"jdk-send", "jdk-async"})
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
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void aRetryAfterBeyondTheDeadlineReturnsTheResponseAtOnce(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "30").body("go away").build(),
                ok("never sent"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("503", result.get("status"));
        assertEquals("go away", result.get("body"));
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 2_000, result.toString());
        assertEquals(1, server.requestCount());
    }
}
