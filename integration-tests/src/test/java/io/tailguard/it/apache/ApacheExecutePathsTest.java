package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way into the classic clients (plain {@code execute}, a response handler, the application's
 * own wrapper subclass) and the async client's two request kinds are handled exactly once per
 * logical request: handled twice, three attempts would become nine, and tags would nest.
 */
@Timeout(120)
class ApacheExecutePathsTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING);

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache4-handler", "apache4-wrapped", "apache5", "apache5-handler",
        "apache5-wrapped", "apache5-async", "apache5-async-streaming", "apache4-async", "apache4-async-callback",
        "apache4-default", "elasticsearch"})
    void handlesEachLogicalRequestOnce(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).body("busy 1").build(),
                new MockResponse.Builder().code(503).body("busy 2").build(),
                new MockResponse.Builder().code(503).body("busy 3").build(),
                ok("a fourth attempt"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("busy 3", result.get("body"));
        String requestId = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            Arrival arrival = server.take();
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            assertEquals(1, arrival.request.getHeaders().values("X-Attempt").size());
            requestId = requestId == null ? arrival.header("X-Request-ID") : requestId;
            assertEquals(requestId, arrival.header("X-Request-ID"));
        }
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4", "apache4-handler", "apache4-wrapped", "apache5", "apache5-handler",
        "apache5-wrapped", "apache5-async", "apache5-async-streaming", "apache4-async", "apache4-async-callback",
        "apache4-default", "elasticsearch"})
    void sendsASuccessfulRequestOnceAndReturnsItsBody(String client) throws Exception {
        server.enqueue(ok("hello"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hello", result.get("body"));
        assertEquals("1", server.take().header("X-Attempt"));
        assertEquals(1, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"apache4-handler", "apache5-handler"})
    void aResponseHandlerSeesOnlyTheFinalResponse(String client) throws Exception {
        server.enqueue(status(503), ok("final"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("final", result.get("body"));
        assertEquals(2, server.requestCount());
        assertEquals(0, ApacheApps.leasedWhenSettled(app, client, Map.of()));
    }

    /**
     * The 5.x low-level calls Tailguard cannot replay go out as the application made them: an
     * exchange handler (it is producer and consumer in one, and has seen the request once it is
     * sent) and a request producer of the application's own (its request cannot be read without
     * running it).
     */
    @ParameterizedTest
    @ValueSource(strings = {"apache5-minimal-handler", "apache5-minimal-own-producer"})
    void passesLowLevelCallsItCannotReplayThroughUntouched(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).body("busy").build(), ok("not reached"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("busy", result.get("body"));
        Arrival only = server.take();
        assertNull(only.header("X-Attempt"));
        assertNull(only.header("X-Request-ID"));
        assertEquals(1, server.requestCount());
    }

    /** The minimal client's own {@code execute(producer, consumer, ...)} with the client's producer is handled. */
    @Test
    void handlesTheMinimalClientsExecuteWithTheClientsOwnProducer() throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).body("busy").build(), ok("hello"));

        Map<String, String> result = app.call(Call.get("apache5-minimal-builder-producer", server.url("/item")));

        assertEquals("hello", result.get("body"), result.toString());
        assertEquals("1", server.take().header("X-Attempt"));
        assertEquals("2", server.take().header("X-Attempt"));
    }
}
