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

/** Spring's RestTemplate with SimpleClientHttpRequestFactory (spring-web 6.2): HttpURLConnection underneath. */
@Timeout(120)
class RestTemplateRetryTest {

    private static final String CLIENT = "spring-rest-template";

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
                    "tailguard.policy.api.hosts=127.0.0.1",
                    "tailguard.policy.api.retry.backoff.initial=10ms",
                    "tailguard.policy.api.retry.backoff.max=50ms",
                    "tailguard.policy.api.tagging=true"))
            .classpath(AgentedApp.clientClasspath("spring-web")).start();

    @AutoClose
    private final TestServer server = new TestServer();

    @AfterAll
    static void agentReportedNoProblem() {
        assertEquals(List.of(), app.agentProblems(), app.stderr());
    }

    @Test
    void retriesGetOn503Twice() throws Exception {
        server.enqueue(status(503), status(503),
                new MockResponse.Builder().code(200).addHeader("X-Answer", "winner").body("hello").build());

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item")).option("readHeader", "X-Answer"));

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

    @Test
    void a503ThatStaysReachesTheApplicationWithTheLastBody() throws Exception {
        for (int i = 1; i <= 3; i++) {
            server.enqueue(new MockResponse.Builder().code(503).body("busy " + i).build());
        }

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/item")));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("busy 3", result.get("body"));
        assertEquals(3, server.requestCount());
    }

    @Test
    void sendsAPostWithoutKeyOnce() throws Exception {
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(CLIENT, "POST", server.url("/orders")).body("string", "order"));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("order", server.take().body());
        assertEquals(1, server.requestCount());
    }

    @Test
    void leavesUnmatchedHostsUntouched() throws Exception {
        server.enqueue(status(503), ok("never"));

        Map<String, String> result = app.call(Call.get(CLIENT, server.unmatchedUrl("/item")));

        assertEquals("503", result.get("status"), result.toString());
        assertNull(server.take().header("X-Attempt"));
        assertEquals(1, server.requestCount());
    }

    @Test
    void aPostWithAKeyIsStreamedBySpringSoItIsSentOnce() throws Exception {
        // SimpleClientHttpRequestFactory writes a body in fixed-length streaming mode: the JDK
        // sends it to the socket as it is written, so it cannot be sent again.
        server.enqueue(status(503), ok("created"));

        Map<String, String> result = app.call(Call.of(CLIENT, "POST", server.url("/orders"))
                .header("Idempotency-Key", "order-17").body("string", "order"));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("order", server.take().body());
        assertEquals(1, server.requestCount());
    }
}
