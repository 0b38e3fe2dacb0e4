package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code HEAD}, which the default policy retries: its answers say how long a body would be
 * ({@code Content-Length}) and carry none. Holding a retryable answer must not wait for those
 * bytes, and the application gets what it gets without the agent, for every client API.
 */
@Timeout(120)
class HeadRequestTest {

    @AutoClose
    private static final SideBySide apps = SideBySide.retryingTwice();

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void aHeadAnsweredWithAnErrorIsRetriedWithoutWaitingForABody(String client) throws Exception {
        Map<String, String> without;
        try (TestServer server = new TestServer()) {
            server.enqueue(head(200, 4_096));
            without = app(apps.plain, client, server);
        }
        try (TestServer server = new TestServer()) {
            server.enqueue(head(502, 2_048), head(200, 4_096));

            Map<String, String> with = app(apps.agent, client, server);

            assertEquals(without, with);
            assertEquals("200", with.get("status"), with.toString());
            assertEquals("", with.get("body"));
            assertEquals("HEAD 200", with.get("note"), "the second answer's headers");
            Arrival first = server.take();
            Arrival second = server.take();
            assertEquals(List.of("HEAD", "HEAD"), List.of(first.request.getMethod(), second.request.getMethod()));
            assertEquals(List.of("1", "2"), List.of(first.header("X-Attempt"), second.header("X-Attempt")));
            assertEquals(2, server.requestCount());
        }
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void theLastErrorOfAHeadIsWhatTheApplicationGetsWhenRetriesEnd(String client) throws Exception {
        // 502, which no client retries by itself (Apache 5 re-sends a 503 once, and with the agent
        // stands aside for the policy's retries: README, "The client's retries and Tailguard's").
        Map<String, String> without;
        try (TestServer server = new TestServer()) {
            server.enqueue(head(502, 2_048));
            without = app(apps.plain, client, server);
        }
        try (TestServer server = new TestServer()) {
            server.enqueue(head(502, 1_024), head(502, 2_048));

            Map<String, String> with = app(apps.agent, client, server);

            assertEquals(without, with);
            assertEquals("502", with.get("status"), with.toString());
            assertEquals(2, server.requestCount());
        }
    }

    /**
     * What the application got ({@link SideBySide#outcome}). A call that waited for a body that
     * never comes would end in a read timeout after 3 s.
     */
    private static Map<String, String> app(AgentedApp app, String client, TestServer server) {
        Map<String, String> got = app.call(Call.of(client, "HEAD", server.url("/head")).timeoutMs(3_000));
        assertTrue(Long.parseLong(got.get("elapsedMs")) < 2_000, "no wait for a body: " + got);
        return SideBySide.outcome(got, server);
    }

    /** A HEAD answer: the length a GET's body would have, and no body. */
    private static MockResponse head(int status, int length) {
        return new MockResponse.Builder().code(status).setHeader("Content-Length", Integer.toString(length))
                .setHeader("X-Server-Note", "HEAD " + status).build();
    }
}
