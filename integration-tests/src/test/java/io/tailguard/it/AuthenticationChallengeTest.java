package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.it.TestServer.Arrival;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A server that asks for credentials ({@code 401} with a Basic challenge), which the application's
 * client answers with the credentials it was given (the JDK's {@code Authenticator}, OkHttp's,
 * Apache's credentials provider), for every client API. The client's answer belongs to the attempt
 * it answers for and carries its tags; a failure after it is retried, with the credentials again;
 * and a challenge the credentials do not meet reaches the application as it does without the agent,
 * never retried by the agent.
 */
@Timeout(120)
class AuthenticationChallengeTest {

    private static final String USER = "app";
    private static final String PASSWORD = "s3cret";
    private static final String AUTHORIZATION = "Basic "
            + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));

    @AutoClose
    private static final SideBySide apps = SideBySide.retryingTwice();

    /** The application's own call, with the credentials the client answers challenges with. */
    private static Map<String, String> call(AgentedApp app, String client, TestServer server, String password) {
        Map<String, String> got = app.call(Call.get(client, server.url("/account"))
                .option("credentials", USER + ":" + password).timeoutMs(5_000));
        return SideBySide.outcome(got, server);
    }

    /**
     * A server that challenges every request without the right credentials and answers the others
     * with {@code authorized}'s answers in turn (the last one again once they run out).
     */
    private static TestServer challenging(MockResponse... authorized) {
        TestServer server = new TestServer();
        AtomicInteger answered = new AtomicInteger();
        server.respondWith(request -> {
            if (!AUTHORIZATION.equals(request.getHeaders().get("Authorization"))) {
                return new MockResponse.Builder().code(401).setHeader("WWW-Authenticate", "Basic realm=\"accounts\"")
                        .body("who are you?").build();
            }
            return authorized[Math.min(answered.getAndIncrement(), authorized.length - 1)];
        });
        return server;
    }

    private static List<String> attempts(List<Arrival> arrivals) {
        return arrivals.stream().map(arrival -> arrival.header("X-Attempt")).collect(Collectors.toList());
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void theClientsAnswerToAChallengeCarriesItsAttemptsTags(String client) throws Exception {
        Map<String, String> without;
        try (TestServer server = challenging(TestServer.ok("balance 42"))) {
            without = call(apps.plain, client, server, PASSWORD);
        }
        try (TestServer server = challenging(TestServer.ok("balance 42"))) {
            Map<String, String> with = call(apps.agent, client, server, PASSWORD);

            assertEquals(without, with);
            assertEquals("200", with.get("status"), with.toString());
            assertEquals("balance 42", with.get("body"));
            List<Arrival> arrivals = server.drain();
            assertEquals(2, arrivals.size(), "the challenge and the client's answer");
            assertNull(arrivals.get(0).header("Authorization"));
            assertEquals(AUTHORIZATION, arrivals.get(1).header("Authorization"));
            assertEquals(List.of("1", "1"), attempts(arrivals));
            assertEquals(List.of("false", "false"),
                    List.of(arrivals.get(0).header("X-Is-Hedge"), arrivals.get(1).header("X-Is-Hedge")));
            TestServer.oneRequestId(arrivals);
        }
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void aFailureAfterTheChallengeIsRetriedWithTheCredentials(String client) throws Exception {
        try (TestServer server = challenging(TestServer.status(503), TestServer.ok("balance 42"))) {
            Map<String, String> with = call(apps.agent, client, server, PASSWORD);

            assertEquals("200", with.get("status"), with.toString());
            assertEquals("balance 42", with.get("body"));
            List<Arrival> arrivals = server.drain();
            // Whether an attempt is challenged again is the client's: the JDK's clients keep the
            // credentials they were asked for and send them at once; OkHttp and Apache wait to be asked.
            List<Arrival> first = new ArrayList<>();
            List<Arrival> second = new ArrayList<>();
            for (Arrival arrival : arrivals) {
                ("1".equals(arrival.header("X-Attempt")) ? first : second).add(arrival);
            }
            assertEquals(2, first.size(), "the first attempt: challenged, then answered with 503; " + attempts(arrivals));
            assertEquals(AUTHORIZATION, first.get(1).header("Authorization"));
            for (Arrival retry : second) {
                assertEquals("2", retry.header("X-Attempt"), "one retry: " + attempts(arrivals));
            }
            assertEquals(AUTHORIZATION, second.get(second.size() - 1).header("Authorization"), "the retry's answer");
            TestServer.oneRequestId(arrivals);
        }
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void aChallengeTheCredentialsDoNotMeetReachesTheApplicationAsWithoutTheAgent(String client) throws Exception {
        Map<String, String> without;
        int requestsWithout;
        try (TestServer server = challenging(TestServer.ok("balance 42"))) {
            without = call(apps.plain, client, server, "wrong");
            requestsWithout = server.requestCount();
        }
        try (TestServer server = challenging(TestServer.ok("balance 42"))) {
            Map<String, String> with = call(apps.agent, client, server, "wrong");

            assertEquals(without, with);
            assertEquals(requestsWithout, server.requestCount(), "as many tries as the client makes by itself");
            List<Arrival> arrivals = server.drain();
            for (String attempt : attempts(arrivals)) {
                assertEquals("1", attempt, "a 401 is not retried by the agent");
            }
            TestServer.oneRequestId(arrivals);
        }
    }
}
