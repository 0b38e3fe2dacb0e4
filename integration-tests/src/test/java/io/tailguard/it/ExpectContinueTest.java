package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@code PUT} sent with {@code Expect: 100-continue}, the way uploads ask the server before they
 * send their body: retried after a 503 whether the server refused it before its body (no
 * {@code 100 Continue}, the body left unread) or after reading it, with every attempt asking again
 * and the retry's body arriving whole, for every client API (the JDK client through its own
 * {@code expectContinue}).
 */
@Timeout(120)
class ExpectContinueTest {

    private static final String PAYLOAD = "x".repeat(20_000) + " end of upload";

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.backoff.initial=10ms",
            "tailguard.policy.api.tagging=true")).everyClient().start();

    /** The same policy with an attempt timeout, which ends an attempt the client itself would never end. */
    @AutoClose
    private static final AgentedApp timed = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.backoff.initial=10ms",
            "tailguard.policy.api.attempt-timeout=1s",
            "tailguard.policy.api.tagging=true")).everyClient().start();

    @AutoClose
    private final TestServer server = new TestServer();

    @AfterAll
    static void agentReportedNoProblem() {
        assertEquals(List.of(), app.agentProblems(), app.stderr());
        assertEquals(List.of(), timed.agentProblems(), timed.stderr());
    }

    /**
     * Whether the application's JDK client waits forever for the body of a final answer to an
     * expectation, when the server refused before the body: fixed in JDK 20 and 17.0.17.
     */
    private static boolean jdkClientWaitsForeverOnARefusal() {
        Runtime.Version version = Runtime.Version.parse(app.javaVersion());
        return version.feature() < 17 || version.feature() == 17 && version.update() < 17
                || version.feature() > 17 && version.feature() < 20;
    }

    /**
     * Uploads with the expectation and checks that the application got the second answer, the
     * retry's, which asked again: the server's two requests, in order.
     */
    private List<Arrival> uploadedAfterOneRetry(String client) throws InterruptedException {
        return uploadedAfterOneRetry(app, client);
    }

    private List<Arrival> uploadedAfterOneRetry(AgentedApp app, String client) throws InterruptedException {
        Map<String, String> result = app.call(Call.of(client, "PUT", server.url("/upload")).body("bytes", PAYLOAD)
                .header("Expect", "100-continue").timeoutMs(5_000));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("stored", result.get("body"));
        Arrival first = server.take();
        Arrival second = server.take();
        assertEquals(List.of("1", "2"), List.of(first.header("X-Attempt"), second.header("X-Attempt")));
        assertTrue("100-continue".equalsIgnoreCase(second.header("Expect")), "the retry asks again");
        assertEquals(2, server.requestCount());
        return List.of(first, second);
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void anUploadRefusedAfterItsBodyIsRetriedWithTheBodyWhole(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().add100Continue().code(503).body("busy").build(),
                new MockResponse.Builder().add100Continue().code(200).body("stored").build());

        List<Arrival> attempts = uploadedAfterOneRetry(client);

        assertEquals(List.of(PAYLOAD, PAYLOAD), List.of(attempts.get(0).body(), attempts.get(1).body()));
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void anUploadRefusedBeforeItsBodyIsRetriedWithTheBodyWhole(String client) throws Exception {
        assumeFalse(client.startsWith("jdk-") && jdkClientWaitsForeverOnARefusal(),
                "the JDK client of " + app.javaVersion() + " never ends such a call, with or without the agent (JDK-8286171)");
        server.enqueue(new MockResponse.Builder().doNotReadRequestBody().code(503).body("busy")
                        .setHeader("Connection", "close").build(),
                new MockResponse.Builder().add100Continue().code(200).body("stored").build());

        List<Arrival> attempts = uploadedAfterOneRetry(client);

        assertEquals(PAYLOAD, attempts.get(1).body());
    }

    /**
     * Where the JDK client never ends a call refused before its body (before JDK 20 and 17.0.17:
     * JDK-8286171; its own request timeout does not end it either), the policy's attempt timeout
     * does: the attempt is cancelled and retried, and the application gets the retry's answer
     * instead of waiting forever. Where the JDK ends the call at the refusal, the retry follows at
     * once, as above.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void anUploadTheJdkClientNeverEndsIsRetriedAfterItsAttemptTimeout(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().doNotReadRequestBody().code(503).body("busy")
                        .setHeader("Connection", "close").build(),
                new MockResponse.Builder().add100Continue().code(200).body("stored").build());

        List<Arrival> attempts = uploadedAfterOneRetry(timed, client);

        assertEquals(PAYLOAD, attempts.get(1).body());
    }
}
