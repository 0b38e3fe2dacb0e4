package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Elasticsearch's low-level {@code RestClient} (9.5), which sends through HttpAsyncClient 4.1, with
 * one node: the test server. Its own failover moves to the next node after a 502/503/504 or an I/O
 * error; with one node there is none, so the status surfaces as {@code ResponseException}.
 * Tailguard's attempts all go to the node the client chose, inside that one {@code execute}.
 */
@Timeout(120)
class ElasticsearchRestClientTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING);

    private static MockResponse unavailable(String body) {
        return new MockResponse.Builder().code(503).body(body).build();
    }

    @ParameterizedTest(name = "async={0}")
    @ValueSource(booleans = {false, true})
    void performRequestGetIsRetriedOn503AndTheApplicationGets200(boolean async) throws Exception {
        server.enqueue(unavailable("{\"error\":\"busy\"}"), ok("{\"hits\":1}"));

        Map<String, String> result = app.call(Call.get("elasticsearch", server.url("/index/_search"))
                .option("async", Boolean.toString(async)));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("{\"hits\":1}", result.get("body"));
        assertNull(result.get("error"), result.toString());
        assertEquals("1", server.take().header("X-Attempt"));
        assertEquals("2", server.take().header("X-Attempt"));
        assertEquals(2, server.requestCount());
    }

    /** What the application catches is what it catches without the agent, from the last attempt. */
    @ParameterizedTest(name = "async={0}")
    @ValueSource(booleans = {false, true})
    void a503ThatStays503SurfacesAsResponseExceptionAsWithoutTheAgent(boolean async) throws Exception {
        Call call = Call.get("elasticsearch", server.url("/index/_search")).option("async", Boolean.toString(async));
        Map<String, String> plain;
        try (AgentedApp withoutAgent = ApacheApps.withoutAgent()) {
            server.enqueue(unavailable("still busy"));
            plain = withoutAgent.call(call);
        }
        int plainRequests = server.requestCount();
        server.enqueue(unavailable("busy 1"), unavailable("busy 2"), unavailable("still busy"));

        Map<String, String> agented = app.call(call);

        assertEquals("org.elasticsearch.client.ResponseException", plain.get("error"), plain.toString());
        assertEquals(1, plainRequests);
        assertEquals(plain.get("error"), agented.get("error"), agented.toString());
        assertEquals("503", agented.get("status"));
        assertEquals("still busy", agented.get("body"));
        assertEquals(plain.get("suppressed"), agented.get("suppressed"));
        assertEquals(plainRequests + 3, server.requestCount());
    }

    /**
     * Two nodes: the first answers 503 to each of Tailguard's three attempts, then the client's own
     * failover sends the request to the second node, as a new logical request with attempts of its own.
     */
    @Test
    void theClientsNodeFailoverComesAfterTailguardsAttemptsOnTheFirstNode() throws Exception {
        try (TestServer second = new TestServer()) {
            server.enqueue(unavailable("busy 1"), unavailable("busy 2"), unavailable("busy 3"));
            second.enqueue(ok("{\"hits\":2}"));

            Map<String, String> result = app.call(Call.get("elasticsearch", server.url("/index/_search"))
                    .option("nodes", server.url("") + "," + second.url("")));

            assertEquals("200", result.get("status"), result.toString());
            assertEquals("{\"hits\":2}", result.get("body"));
            String firstNodeRequest = null;
            for (int attempt = 1; attempt <= 3; attempt++) {
                Arrival arrival = server.take();
                assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
                firstNodeRequest = arrival.header("X-Request-ID");
            }
            Arrival failover = second.take();
            assertEquals("1", failover.header("X-Attempt"));
            assertNotEquals(firstNodeRequest, failover.header("X-Request-ID"));
            assertEquals(3, server.requestCount());
            assertEquals(1, second.requestCount());
        }
    }

    @Test
    void aPostWithoutIdempotencyKeyIsSentOnceAndItsStatusSurfacesAsWithoutTheAgent() throws Exception {
        server.enqueue(unavailable("busy"), ok("{\"created\":true}"));

        Map<String, String> result = app.call(Call.of("elasticsearch", "POST", server.url("/index/_doc"))
                .body("string", "{\"a\":1}"));

        assertEquals("org.elasticsearch.client.ResponseException", result.get("error"), result.toString());
        assertEquals("503", result.get("status"));
        Arrival only = server.take();
        assertEquals("{\"a\":1}", only.body());
        assertEquals(1, server.requestCount());
    }
}
