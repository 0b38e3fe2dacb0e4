package io.tailguard.it.server;

import static io.tailguard.it.server.ServletServer.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Spring Boot application ({@code @RestController}, embedded Tomcat 10.1, the versions Boot's BOM
 * chooses) with the agent: the same hook as a plain servlet, reached through Boot's
 * {@code DispatcherServlet}. A hedge is coalesced with its running primary, retries and hedges are
 * shed at the limit, and with nothing configured the application answers byte for byte as without
 * the agent.
 */
@Timeout(300)
class SpringBootServerTest {

    private static ServletServer configured;

    private static synchronized ServletServer configured() {
        if (configured == null) {
            configured = ServletServer.springBoot(AgentedApp.withConfig(String.join("\n",
                    "tailguard.server.coalesce.paths=/text/*",
                    "tailguard.server.shed.max-concurrency=2",
                    "tailguard.server.shed.retry-after=3s")));
        }
        return configured;
    }

    @AfterAll
    static void stop() throws IOException {
        if (configured != null) {
            configured.close();
        }
    }

    @Test
    void aHedgeArrivingWhileItsPrimaryRunsGetsTheSameResponseFromOneControllerRun() throws Exception {
        ServletServer server = configured();
        String tags = "X-Request-ID: boot-h\r\nAuthorization: Bearer h\r\n";
        CompletableFuture<HttpAnswer> primary = server.send(get("/text/hedged?hold", tags));
        server.awaitRuns("/text/hedged", 1);
        CompletableFuture<HttpAnswer> hedge = server.send(get("/text/hedged?hold", tags
                + "X-Attempt: 2\r\nX-Is-Hedge: true\r\n"));
        server.awaitWaiting(1);
        server.release("/text/hedged");

        HttpAnswer first = primary.get(60, TimeUnit.SECONDS);
        HttpAnswer second = hedge.get(60, TimeUnit.SECONDS);
        assertEquals(200, first.status, first.toString());
        assertEquals("héllo wörld from /text/hedged run 1 for Bearer h\n", first.bodyText());
        assertEquals(200, second.status, second.toString());
        assertArrayEquals(first.body, second.body);
        assertEquals(1, server.runs("/text/hedged"));
        assertNoAgentProblems(server);
    }

    @Test
    void atTheConcurrencyLimitRetriesAndHedgesAreRefusedAndOriginalsServed() throws Exception {
        ServletServer server = configured();
        CompletableFuture<HttpAnswer> busy1 = server.send(get("/json/busy-1?hold", ""));
        CompletableFuture<HttpAnswer> busy2 = server.send(get("/json/busy-2?hold", ""));
        server.awaitRuns("/json/busy-1", 1);
        server.awaitRuns("/json/busy-2", 1);

        HttpAnswer retry = new HttpAnswer(server.exchange(get("/json/shed", "X-Request-ID: boot-1\r\nX-Attempt: 2\r\n")));
        HttpAnswer hedge = new HttpAnswer(server.exchange(get("/json/shed",
                "X-Request-ID: boot-2\r\nX-Attempt: 2\r\nX-Is-Hedge: true\r\n")));
        HttpAnswer original = new HttpAnswer(server.exchange(get("/json/original", "X-Request-ID: boot-3\r\n")));
        server.release("/json/busy-1");
        server.release("/json/busy-2");

        for (HttpAnswer refused : new HttpAnswer[] {retry, hedge}) {
            assertEquals(503, refused.status, refused.toString());
            assertEquals("3", refused.header("Retry-After"));
            assertEquals("1", refused.header("Tailguard-Shed"));
        }
        assertEquals(200, original.status, original.toString());
        assertEquals("{\"path\":\"/json/original\",\"run\":1}", original.bodyText());
        assertEquals(0, server.runs("/json/shed"));
        assertEquals(200, busy1.get(60, TimeUnit.SECONDS).status);
        assertEquals(200, busy2.get(60, TimeUnit.SECONDS).status);
        assertNoAgentProblems(server);
    }

    @Test
    void answersByteForByteAsWithoutTheAgentWhenTheServerSideIsNotConfigured() throws Exception {
        List<String> requests = List.of(
                get("/text/a", ""),
                get("/json/a", ""),
                get("/text/b?x=1", "X-Request-ID: 7f3c\r\nX-Attempt: 2\r\nAuthorization: Bearer a\r\n"),
                get("/text/b?x=1", "X-Request-ID: 7f3c\r\nX-Attempt: 3\r\nX-Is-Hedge: true\r\nIdempotency-Key: k1\r\n"),
                "HEAD /json/c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        List<String> withoutAgent;
        try (ServletServer server = ServletServer.springBoot(AgentedApp.withoutAgent())) {
            withoutAgent = server.answersWithoutDate(requests);
        }
        List<String> withAgent;
        try (ServletServer server = ServletServer.springBoot(AgentedApp.withConfig("tailguard.log.level=debug\n"))) {
            withAgent = server.answersWithoutDate(requests);
            // The servlet's hook, and Tomcat's for its queue time (which reports nothing here).
            for (String hooked : new String[] {"jakarta.servlet.http.HttpServlet",
                "org.apache.tomcat.util.net.SocketProcessorBase", "org.apache.tomcat.util.threads.ThreadPoolExecutor"}) {
                assertFalse(server.app().stderrLines(Pattern.compile("instrumented " + Pattern.quote(hooked) + "$"))
                        .isEmpty(), hooked + " is hooked:\n" + server.app().stderr());
            }
            assertNoAgentProblems(server);
        }
        assertTrue(withoutAgent.get(0).startsWith("HTTP/1.1 200") && withoutAgent.get(0).endsWith("/text/a run 1\n"),
                withoutAgent.get(0));
        assertTrue(withoutAgent.get(1).contains("{\"path\":\"/json/a\",\"run\":1}"), withoutAgent.get(1));
        assertEquals(withoutAgent, withAgent);
    }

    private static void assertNoAgentProblems(ServletServer server) {
        assertTrue(server.app().agentProblems().isEmpty(), server.app().agentProblems().toString());
    }
}
