package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A server that redirects a request to itself for ever: every client follows redirects up to a
 * limit of its own and then fails the call (the JDK client set to follow them, as its applications
 * set it). That failure comes from an answer, not a broken connection: the application gets it as
 * without the agent, after as many requests, every one of them the first attempt's, for every
 * client API.
 */
@Timeout(120)
class RedirectLoopTest {

    @AutoClose
    private static final SideBySide apps = SideBySide.retryingTwice();

    private static TestServer looping() {
        TestServer server = new TestServer();
        server.respondWith(request -> new MockResponse.Builder().code(302)
                .setHeader("Location", server.url("/again")).body("once more").build());
        return server;
    }

    private static Map<String, String> call(AgentedApp app, String client, TestServer server) {
        Map<String, String> got = app.call(Call.get(client, server.url("/start")).option("redirects", "follow")
                .timeoutMs(5_000));
        return SideBySide.outcome(got, server);
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void moreRedirectsThanTheClientFollowsAreNotRetried(String client) throws Exception {
        Map<String, String> without;
        int requestsWithout;
        try (TestServer server = looping()) {
            without = call(apps.plain, client, server);
            requestsWithout = server.requestCount();
        }
        try (TestServer server = looping()) {
            Map<String, String> with = call(apps.agent, client, server);

            assertEquals(without, with);
            assertEquals(requestsWithout, server.requestCount(), "as many requests as the client makes by itself");
            List<Arrival> arrivals = server.drain();
            for (Arrival arrival : arrivals) {
                assertEquals("1", arrival.header("X-Attempt"), "no retry");
            }
            TestServer.oneRequestId(arrivals);
        }
    }
}
