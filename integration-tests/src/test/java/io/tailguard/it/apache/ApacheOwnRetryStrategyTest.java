package io.tailguard.it.apache;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An application's own status retry strategy ({@code ServiceUnavailableRetryStrategy} in 4.5,
 * {@code HttpRequestRetryStrategy} in 5 classic and async; here: a 503 twice more, whatever the
 * method) composes with Tailguard by the rule the default strategies follow: a status Tailguard
 * retries itself is Tailguard's alone, so the application gets {@code retry.max-attempts}
 * requests rather than that many times three; where Tailguard does not retry, the application's
 * strategy runs exactly as without the agent.
 */
@Timeout(120)
class ApacheOwnRetryStrategyTest extends ServerPerTest {

    @AutoClose
    private static final AgentedApp app = ApacheApps.start(ApacheApps.RETRYING, ApacheApps.POLICY + "retry.max-attempts=2");

    @AutoClose
    private static final AgentedApp withoutAgent = ApacheApps.withoutAgent();

    @ParameterizedTest
    @CsvSource({"apache4,statusRetry", "apache5,clientRetry", "apache5-async,clientRetry"})
    void aStatusTailguardRetriesCostsOneRequestPerAttemptDespiteTheApplicationsStrategy(String client, String option)
            throws Exception {
        server.enqueue(status(503), status(503), status(503), ok("reached only by the client's retries"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")).option(option, "custom"));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals(List.of("1", "2"), attemptHeaders(2));
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest
    @CsvSource({"apache4,statusRetry", "apache5,clientRetry", "apache5-async,clientRetry"})
    void aPostTailguardDoesNotRetryIsRetriedByTheApplicationsStrategyAsWithoutTheAgent(String client, String option)
            throws Exception {
        Call call = Call.of(client, "POST", server.url("/orders")).body("string", "order").option(option, "custom");
        server.enqueue(status(503), status(503), ok("created"));
        Map<String, String> plain = withoutAgent.call(call);
        int plainRequests = server.requestCount();
        server.drain();

        server.enqueue(status(503), status(503), ok("created"));
        Map<String, String> agented = app.call(call);

        assertEquals("created", plain.get("body"), "without the agent: " + plain);
        assertEquals(3, plainRequests);
        assertEquals(plain.get("body"), agented.get("body"), "with the agent: " + agented);
        assertEquals(List.of("1", "1", "1"), attemptHeaders(3));
        assertEquals(plainRequests + 3, server.requestCount());
    }
}
