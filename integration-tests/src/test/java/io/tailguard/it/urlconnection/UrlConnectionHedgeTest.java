package io.tailguard.it.urlconnection;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Await;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hedged {@code HttpURLConnection} requests, plain and through {@code RestTemplate}, Feign and Jersey: the
 * hedge exchanges on a connection of its own, the application's object reports the winner, and
 * the losing attempt's socket is closed.
 */
@Timeout(120)
class UrlConnectionHedgeTest {

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
                    "tailguard.policy.api.hosts=127.0.0.1",
                    "tailguard.policy.api.hedge.delay=100ms",
                    "tailguard.policy.api.hedge.methods=GET,PUT",
                    "tailguard.policy.api.tagging=true"))
            .classpath(AgentedApp.clientClasspath("spring-web"))
            .classpath(AgentedApp.clientClasspath("feign"))
            .classpath(AgentedApp.clientClasspath("jersey")).start();

    @AutoClose
    private final TestServer server = new TestServer();

    @AfterAll
    static void agentReportedNoProblem() {
        assertEquals(List.of(), app.agentProblems(), app.stderr());
    }

    /**
     * The primary (or a request sent untagged, as it is when it cannot be repeated) stalls for
     * {@code millis} before its headers; every other attempt answers {@code fast}.
     */
    private void slowPrimary(long millis, MockResponse fast) {
        server.respondWith(request -> !"true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? new MockResponse.Builder().code(200).addHeader("X-Answer", "primary").body("slow")
                        .headersDelay(millis, TimeUnit.MILLISECONDS).build()
                : fast);
    }

    @ParameterizedTest
    @ValueSource(strings = {"urlconnection", "spring-rest-template", "feign", "jersey"})
    void aSlowPrimaryIsHedgedAndTheApplicationSeesTheHedgesAnswer(String client) throws Exception {
        slowPrimary(5_000, new MockResponse.Builder().code(200).addHeader("X-Answer", "hedge").body("fast").build());

        Map<String, String> result = app.call(Call.get(client, server.url("/search")).option("readHeader", "X-Answer"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("fast", result.get("body"));
        assertEquals("hedge", result.get("header"), "the application's object reports the winner's headers");
        if (client.equals("urlconnection")) {
            assertEquals("[hedge]", result.get("headerFields"));
            assertEquals("4", result.get("contentLength"));
        }
        long elapsed = Long.parseLong(result.get("elapsedMs"));
        assertTrue(elapsed < 2_500, "answered after the hedge delay, not the 5 s stall: " + elapsed + " ms");
        server.takePrimaryAndHedge();
        assertEquals(2, server.requestCount());
    }

    @Test
    void aHedgeAnsweringAnErrorStatusIsReadThroughTheApplicationsErrorStream() throws Exception {
        slowPrimary(5_000, new MockResponse.Builder().code(404).addHeader("X-Answer", "hedge").body("gone").build());

        Map<String, String> result = app.call(Call.get("urlconnection", server.url("/search"))
                .option("first", "inputStream").option("readHeader", "X-Answer"));

        assertEquals("404", result.get("status"), result.toString());
        assertEquals("java.io.FileNotFoundException", result.get("inputStreamError"));
        assertEquals("gone", result.get("body"), "getErrorStream has the hedge's body");
        assertEquals("hedge", result.get("header"));
        assertEquals(2, server.requestCount());
    }

    @Test
    void losingAttemptsHaveTheirSocketsClosedOverManyHedgedCalls() throws Exception {
        slowPrimary(10_000, ok("fast"));
        int calls = 15;

        for (int i = 0; i < calls; i++) {
            Map<String, String> result = app.call(Call.get("urlconnection", server.url("/search")));
            assertEquals("fast", result.get("body"), result.toString());
        }

        assertEquals(2 * calls, server.requestCount());
        // Every primary stalls 10 s: a loser left open would hold its socket that long. The JDK
        // keeps at most 5 idle connections per server for the hedges' kept-alive ones.
        Await.until(() -> server.clientConnectionsOpen() <= 5, 5_000, "losing attempts' sockets closed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed", "chunked"})
    void aSmallStreamedBodyIsHeldAndTheHedgeCarriesItToo(String kind) throws Exception {
        slowPrimary(5_000, ok("fast"));

        Map<String, String> result = app.call(Call.of("urlconnection", "PUT", server.url("/blob")).body(kind, "payload"));

        assertEquals("fast", result.get("body"), result.toString());
        Arrival[] attempts = server.takeByAttempt();
        assertEquals("payload", attempts[0].body());
        assertEquals("payload", attempts[1].body());
        assertEquals("true", attempts[1].header("X-Is-Hedge"));
        assertEquals(2, server.requestCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"urlconnection", "spring-rest-template", "feign"})
    void aPostWithoutKeyIsSentOnceHowEverSlow(String client) throws Exception {
        slowPrimary(500, ok("never"));

        Map<String, String> result = app.call(Call.of(client, "POST", server.url("/orders")).body("buffered", "order"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("slow", result.get("body"));
        assertEquals("order", server.take().body());
        assertEquals(1, server.requestCount());
    }
}
