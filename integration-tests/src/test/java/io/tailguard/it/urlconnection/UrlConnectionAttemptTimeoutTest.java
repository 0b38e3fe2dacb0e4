package io.tailguard.it.urlconnection;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code attempt-timeout} on {@code HttpURLConnection}: blocking socket reads are ended by closing the socket. */
@Timeout(120)
class UrlConnectionAttemptTimeoutTest {

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.attempt-timeout=500ms",
            "tailguard.policy.api.retry.backoff.initial=10ms",
            "tailguard.policy.api.retry.backoff.max=50ms",
            "tailguard.policy.api.tagging=true")).start();

    @AutoClose
    private final TestServer server = new TestServer();

    @Test
    void retriesAnAttemptThatDidNotAnswerInTimeOnANewConnection() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).body("too late").headersDelay(20, TimeUnit.SECONDS).build(),
                ok("in time"));

        Map<String, String> result = app.call(Call.get("urlconnection", server.url("/slow")));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("in time", result.get("body"));
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 15_000, result.toString());
        assertEquals("1", server.take().header("X-Attempt"));
        assertEquals("2", server.take().header("X-Attempt"));
        // The JDK did not send the timed-out attempt once more on a new connection by itself.
        assertEquals(2, server.requestCount());
        assertEquals(List.of(), app.agentProblems(), app.stderr());
    }
}
