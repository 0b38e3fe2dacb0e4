package io.tailguard.it.urlconnection;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Await;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Selective retries and tagging of {@code java.net.HttpURLConnection}, proven on the wire: the
 * application keeps using its own connection object and sees the attempt that ended the request.
 */
@Timeout(120)
class UrlConnectionRetryTest {

    private static final String CLIENT = "urlconnection";

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.backoff.initial=10ms",
            "tailguard.policy.api.retry.backoff.max=50ms",
            "tailguard.policy.api.tagging=true")).start();

    @AutoClose
    private final TestServer server = new TestServer();

    @AfterAll
    static void agentReportedNoProblem() {
        assertEquals(List.of(), app.agentProblems(), app.stderr());
    }

    @ParameterizedTest
    @ValueSource(strings = {"responseCode", "inputStream"})
    void retriesGetOn503AndTheApplicationSeesTheWinner(String first) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).addHeader("X-Answer", "loser").body("busy").build(),
                new MockResponse.Builder().code(200).addHeader("X-Answer", "winner").body("hello").build());

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item"))
                .option("first", first).option("readHeader", "X-Answer"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hello", result.get("body"));
        assertEquals("winner", result.get("header"));
        assertNull(result.get("inputStreamError"), result.toString());
        Arrival one = server.take();
        Arrival two = server.take();
        assertEquals(2, server.requestCount());
        assertEquals("1", one.header("X-Attempt"));
        assertEquals("2", two.header("X-Attempt"));
        assertEquals("false", two.header("X-Is-Hedge"));
        assertNotNull(one.header("X-Request-ID"));
        assertEquals(one.header("X-Request-ID"), two.header("X-Request-ID"));
        // The 503 was closed before the retry: its kept-alive connection carried the retry.
        assertEquals(1, server.connectionsOpened());
    }

    @Test
    void closesLosingResponsesTooLargeToDrainInsteadOfLeakingTheirConnections() throws Exception {
        String large = "b".repeat(200_000);
        int calls = 20;
        for (int i = 0; i < calls; i++) {
            server.enqueue(new MockResponse.Builder().code(503).body(large).build(), ok("fine " + i));
        }

        for (int i = 0; i < calls; i++) {
            Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item")));
            assertEquals("200", result.get("status"), result.toString());
            assertEquals("fine " + i, result.get("body"));
        }

        assertEquals(2 * calls, server.requestCount());
        // The JDK keeps at most 5 idle connections per server; a 503 left unclosed would hold one each.
        Await.until(() -> server.clientConnectionsOpen() <= 5, 10_000, "losing connections closed");
    }

    @Test
    void retriesUntilSuccessWithThreeTaggedAttempts() throws Exception {
        server.enqueue(status(503), status(503), ok("third time"));

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("third time", result.get("body"));
        for (int attempt = 1; attempt <= 3; attempt++) {
            assertEquals(Integer.toString(attempt), server.take().header("X-Attempt"));
        }
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"responseCode", "inputStream"})
    void a503ThatStaysReachesTheApplicationAsWithoutTheAgent(String first) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).addHeader("X-Answer", "a1").body("busy 1").build(),
                new MockResponse.Builder().code(503).addHeader("X-Answer", "a2").body("busy 2").build(),
                new MockResponse.Builder().code(503).addHeader("X-Answer", "a3").body("busy 3").build());

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item"))
                .option("first", first).option("readHeader", "X-Answer"));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("busy 3", result.get("body"), "getErrorStream has the last attempt's body");
        assertEquals("a3", result.get("header"));
        if (first.equals("inputStream")) {
            assertEquals("java.io.IOException", result.get("inputStreamError"), result.toString());
        }
        assertEquals(3, server.requestCount());
    }

    @Test
    void returnsNonTransientStatusesAfterOneAttempt() throws Exception {
        server.enqueue(new MockResponse.Builder().code(404).body("not here").build());

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/missing")).option("first", "inputStream"));

        assertEquals("404", result.get("status"), result.toString());
        assertEquals("java.io.FileNotFoundException", result.get("inputStreamError"));
        assertEquals("not here", result.get("body"));
        assertEquals("1", server.take().header("X-Attempt"));
        assertEquals(1, server.requestCount());
    }

    @Test
    void neverRetriesPostWithoutIdempotencyKey() throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(CLIENT, "POST", server.url("/orders")).body("buffered", "order"));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("status 503", result.get("body"));
        Arrival only = server.take();
        assertEquals("order", only.body());
        assertEquals("1", only.header("X-Attempt"), "tagged, though sent once");
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUT", "POST"})
    void retriesABufferedBodyWithTheSameBytes(String method) throws Exception {
        String body = "payload-" + "x".repeat(10_000);
        server.enqueue(status(503), ok("stored"));

        Call call = Call.of(CLIENT, method, server.url("/blob")).body("buffered", body);
        if (method.equals("POST")) {
            call = call.header("Idempotency-Key", "order-17");
        }
        Map<String, String> result = app.call(call);

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("stored", result.get("body"));
        for (int attempt = 1; attempt <= 2; attempt++) {
            Arrival arrival = server.take();
            assertEquals(method, arrival.request.getMethod());
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            assertEquals(body, arrival.body());
            assertEquals(Integer.toString(body.length()), arrival.header("Content-Length"));
        }
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed", "chunked"})
    void holdsASmallStreamedBodyAndSendsItAgainWithItsLength(String kind) throws Exception {
        server.enqueue(status(503), status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of(CLIENT, "PUT", server.url("/blob")).body(kind, "streamed"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("stored", result.get("body"));
        for (int attempt = 1; attempt <= 3; attempt++) {
            Arrival arrival = server.take();
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            assertEquals("streamed", arrival.body());
            assertEquals("8", arrival.header("Content-Length"));
            assertNull(arrival.header("Transfer-Encoding"));
        }
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed", "chunked"})
    void streamsABodyLargerThanMayBeHeldOnceAndUntouched(String kind) throws Exception {
        String large = "s".repeat(64 * 1024 + 1);
        server.enqueue(status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of(CLIENT, "PUT", server.url("/blob")).body(kind, large));

        assertEquals("503", result.get("status"), result.toString());
        Arrival only = server.take();
        assertEquals(large, only.body());
        assertNull(only.header("X-Attempt"));
        assertEquals(kind.equals("chunked") ? "chunked" : null, only.header("Transfer-Encoding"));
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed", "chunked"})
    void aStreamingBodyNeverOpenedIsSentOnceAsTheJdkSendsIt(String kind) throws Exception {
        server.enqueue(status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of(CLIENT, "PUT", server.url("/blob")).body(kind, "")
                .option("openBody", "false"));

        assertEquals("503", result.get("status"), result.toString());
        Arrival only = server.take();
        assertEquals("", only.body());
        assertNull(only.header("X-Attempt"));
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed", "chunked"})
    void sendsAStreamedPostWithoutKeyOnceAsItWasWritten(String kind) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(CLIENT, "POST", server.url("/orders")).body(kind, "order"));

        assertEquals("503", result.get("status"), result.toString());
        Arrival only = server.take();
        assertEquals("order", only.body());
        assertNull(only.header("X-Attempt"));
        assertEquals(kind.equals("chunked") ? "chunked" : null, only.header("Transfer-Encoding"));
        assertEquals(1, server.requestCount());
    }

    @Test
    void leavesUnmatchedHostsUntouched() throws Exception {
        server.enqueue(status(503), ok("never"));

        Map<String, String> result = app.call(Call.get(CLIENT, server.unmatchedUrl("/item")));

        assertEquals("503", result.get("status"), result.toString());
        Arrival only = server.take();
        assertNull(only.header("X-Attempt"));
        assertNull(only.header("X-Request-ID"));
        assertEquals(1, server.requestCount());
    }

    @Test
    void leavesACallOnAnInterruptedThreadToTheJdk() throws Exception {
        server.enqueue(status(503), ok("never"));

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item")).option("interrupted", "true"));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("true", result.get("stillInterrupted"));
        assertNull(server.take().header("X-Attempt"));
        assertEquals(1, server.requestCount());
    }

    @Test
    void keepsTheApplicationsOwnRequestId() throws Exception {
        server.enqueue(status(503), ok("fine"));

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item")).header("X-Request-ID", "app-42"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("app-42", server.take().header("X-Request-ID"));
        assertEquals("app-42", server.take().header("X-Request-ID"));
    }

    @Test
    void retriesAConnectionDroppedAtStart() throws Exception {
        // The JDK resends a GET once by itself when the connection closes before any response;
        // the second drop reaches Tailguard, which retries.
        MockResponse drop = new MockResponse.Builder()
                .onRequestStart(new SocketEffect.CloseSocket(true, false, false)).build();
        server.enqueue(drop, drop, ok("second time lucky"));

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("second time lucky", result.get("body"));
        assertEquals(3, server.requestCount());
        server.take();
        server.take();
        assertEquals("2", server.take().header("X-Attempt"));
    }

    @Test
    void followsARedirectInsideOneAttemptAndRetriesTheOriginalRequest() throws Exception {
        server.enqueue(new MockResponse.Builder().code(302).addHeader("Location", "/moved").build(),
                status(503), ok("arrived"));

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/start")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("arrived", result.get("body"));
        Arrival redirect = server.take();
        Arrival moved = server.take();
        Arrival retry = server.take();
        assertEquals("/start", redirect.request.getUrl().encodedPath());
        assertEquals("/moved", moved.request.getUrl().encodedPath());
        assertEquals("1", moved.header("X-Attempt"));
        assertEquals("/start", retry.request.getUrl().encodedPath(), "a retry sends the application's request");
        assertEquals("2", retry.header("X-Attempt"));
    }
}
