package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Request bodies: repeatable entities ({@code ByteArrayEntity}, {@code StringEntity}, a
 * {@code SimpleHttpRequest} body, a repeatable async entity producer) are sent intact on every
 * attempt; non-repeatable ones ({@code InputStreamEntity}, a one-shot async producer) are sent once.
 */
@Timeout(120)
class ApacheBodyReplayTest extends ServerPerTest {

    private static final String BODY = "payload-" + "x".repeat(20_000) + "-end";

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING);

    @ParameterizedTest
    @CsvSource({"apache4,bytes", "apache4,string", "apache5,bytes", "apache5,string", "apache5-async,bytes",
        "apache5-async,string", "apache5-async-streaming,bytes", "apache4-async,bytes", "apache4-async,string"})
    void replaysRepeatableBodiesIntactOnEveryAttempt(String client, String bodyKind) throws Exception {
        server.enqueue(status(503), status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of(client, "PUT", server.url("/blob")).body(bodyKind, BODY));

        assertEquals("200", result.get("status"), result.toString());
        for (int attempt = 1; attempt <= 3; attempt++) {
            Arrival arrival = server.take();
            assertEquals(Integer.toString(attempt), arrival.header("X-Attempt"));
            assertEquals(BODY, arrival.body());
        }
        assertEquals(3, server.requestCount());
    }

    @ParameterizedTest
    @CsvSource({"apache4,inputStream", "apache5,inputStream", "apache5-async-streaming,oneShot",
        "apache4-async,oneShot"})
    void sendsANonRepeatableBodyOnce(String client, String bodyKind) throws Exception {
        server.enqueue(status(503), ok("stored"));

        Map<String, String> result = app.call(Call.of(client, "PUT", server.url("/blob")).body(bodyKind, BODY));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals(BODY, server.take().body());
        assertEquals(1, server.requestCount());
    }
}
