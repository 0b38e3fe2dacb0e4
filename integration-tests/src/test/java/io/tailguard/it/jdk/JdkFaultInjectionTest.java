package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A failure inside the agent's engine: the request still goes out once, as the plain client sends it. */
@Timeout(120)
class JdkFaultInjectionTest {

    private static final String POLICY = String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.tagging=true");

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void aFailureBeforeTheFirstAttemptSendsThePlainRequestOnce(String client) throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(POLICY).jvmOption("-Dio.tailguard.fault-injection=start")
                        .start()) {
            server.enqueue(TestServer.status(503), TestServer.ok("never asked for"));

            Map<String, String> result = app.call(Call.get(client, server.url("/item")));

            assertEquals("503", result.get("status"), "the plain client's result");
            Arrival only = server.take();
            assertNull(only.header("X-Attempt"), "sent as the application built it");
            assertEquals(1, server.requestCount());
            assertTrue(app.stderr().contains("internal failure"), app.stderr());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void aFailureWhileHandlingAnOutcomeDeliversThatOutcome(String client) throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(POLICY).jvmOption("-Dio.tailguard.fault-injection=outcome")
                        .start()) {
            server.enqueue(new mockwebserver3.MockResponse.Builder().code(503).body("the attempt's answer").build(),
                    TestServer.ok("never asked for"));

            Map<String, String> result = app.call(Call.get(client, server.url("/item")));

            assertEquals("503", result.get("status"));
            assertEquals("the attempt's answer", result.get("body"));
            assertEquals(1, server.requestCount());
        }
    }
}
