package io.tailguard.it.urlconnection;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Libraries whose default transport is {@code HttpURLConnection}: Spring's {@code RestTemplate}
 * with {@code SimpleClientHttpRequestFactory} (spring-web 6.2), OpenFeign's {@code Client.Default}
 * (feign-core 13) and Jersey's JAX-RS client on its default {@code HttpUrlConnector} (jersey-client 3.1).
 */
@Timeout(120)
class LibrariesOverUrlConnectionTest {

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
                    "tailguard.policy.api.hosts=127.0.0.1",
                    "tailguard.policy.api.retry.backoff.initial=10ms",
                    "tailguard.policy.api.retry.backoff.max=50ms",
                    "tailguard.policy.api.tagging=true"))
            .classpath(AgentedApp.clientClasspath("spring-web"))
            .classpath(AgentedApp.clientClasspath("feign"))
            .classpath(AgentedApp.clientClasspath("jersey")).start();

    @AutoClose
    private final TestServer server = new TestServer();

    @AfterAll
    static void agentReportedNoProblem() {
        assertEquals(List.of(), app.agentProblems(), app.stderr());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-rest-template", "feign", "jersey"})
    void retriesGetOn503TwiceWithThreeTaggedAttempts(String client) throws Exception {
        server.enqueue(status(503), status(503),
                new MockResponse.Builder().code(200).addHeader("X-Answer", "winner").body("hello").build());

        Map<String, String> result = app.call(Call.get(client, server.url("/item")).option("readHeader", "X-Answer"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hello", result.get("body"));
        assertEquals("winner", result.get("header"));
        String requestId = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            Arrival arrival = server.take();
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            requestId = requestId == null ? arrival.header("X-Request-ID") : requestId;
            assertEquals(requestId, arrival.header("X-Request-ID"));
        }
        assertNotNull(requestId);
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-rest-template", "feign"})
    void a503ThatStaysReachesTheApplicationWithTheLastBody(String client) throws Exception {
        for (int i = 1; i <= 3; i++) {
            server.enqueue(new MockResponse.Builder().code(503).body("busy " + i).build());
        }

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("busy 3", result.get("body"));
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-rest-template", "feign"})
    void sendsAPostWithoutKeyOnce(String client) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders")).body("string", "order"));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("order", server.take().body());
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-rest-template", "feign", "jersey"})
    void retriesAPutWhoseBodyTheLibraryStreamsWithTheSameBodyEachTime(String client) throws Exception {
        // Both write a body in a streaming mode (fixed-length when its length is known); Tailguard
        // holds a small one so that the request can be sent again.
        server.enqueue(status(503), status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of(client, "PUT", server.url("/blob")).body("string", "payload"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("stored", result.get("body"));
        for (int attempt = 1; attempt <= 3; attempt++) {
            Arrival arrival = server.take();
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            assertEquals("payload", arrival.body());
        }
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-rest-template", "feign"})
    void aPostWithAKeyIsRetriedWithItsStreamedBody(String client) throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders"))
                .header("Idempotency-Key", "order-17").body("string", "order"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("order", server.take().body());
        assertEquals("order", server.take().body());
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-rest-template", "feign"})
    void aStreamedBodyLargerThanMayBeHeldIsSentOnce(String client) throws Exception {
        String large = "p".repeat(64 * 1024 + 1);
        server.enqueue(status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of(client, "PUT", server.url("/blob")).body("string", large));

        assertEquals("503", result.get("status"), result.toString());
        Arrival only = server.take();
        assertEquals(large, only.body());
        assertNull(only.header("X-Attempt"));
        assertEquals(1, server.requestCount());
    }

    @Test
    void jerseyLeavesItsBodyToTheJdksBufferSoEvenALargeOneIsRetried() throws Exception {
        String large = "j".repeat(64 * 1024 + 1);
        server.enqueue(status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of("jersey", "PUT", server.url("/blob")).body("string", large));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals(large, server.take().body());
        assertEquals(large, server.take().body());
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-rest-template", "feign"})
    void leavesUnmatchedHostsUntouched(String client) throws Exception {
        server.enqueue(status(503), ok("never"));

        Map<String, String> result = app.call(Call.get(client, server.unmatchedUrl("/item")));

        assertEquals("503", result.get("status"), result.toString());
        assertNull(server.take().header("X-Attempt"));
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-rest-template", "feign"})
    void keepsTheApplicationsOwnRequestId(String client) throws Exception {
        server.enqueue(status(503), ok("fine"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")).header("X-Request-ID", "app-42"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("app-42", server.take().header("X-Request-ID"));
        assertEquals("app-42", server.take().header("X-Request-ID"));
    }
}
