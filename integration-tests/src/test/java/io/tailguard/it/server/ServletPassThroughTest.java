package io.tailguard.it.server;

import static io.tailguard.it.server.ServletServer.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.server.ServletServer.Container;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** With the server side not configured, a servlet container answers exactly as without the agent. */
@Timeout(240)
class ServletPassThroughTest {

    /** Every way the application writes a response (the servlet is async-capable), and a request tagged as a Tailguard client's retry. */
    private static final List<String> REQUESTS = List.of(
            get("/text/a", ""),
            get("/bytes/a", ""),
            get("/streamed/a", ""),
            get("/async/a", ""),
            get("/missing/a", ""),
            get("/empty/a", ""),
            "POST /echo/a HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
                    + "Connection: close\r\n\r\nping",
            "HEAD /text/b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            get("/text/c?x=1", "X-Request-ID: 7f3c\r\nX-Attempt: 2\r\nAuthorization: Bearer a\r\n"),
            get("/text/c?x=1", "X-Request-ID: 7f3c\r\nX-Attempt: 3\r\nX-Is-Hedge: true\r\nIdempotency-Key: k1\r\n"));

    @ParameterizedTest
    @EnumSource(Container.class)
    void answersByteForByteAsWithoutTheAgentWhenTheServerSideIsNotConfigured(Container container) throws Exception {
        List<String> withoutAgent = answers(container, AgentedApp.withoutAgent());
        AgentedApp.Builder agent = AgentedApp.withConfig("tailguard.log.level=debug\n");
        List<String> withAgent;
        try (ServletServer server = ServletServer.start(container, agent)) {
            withAgent = server.answersWithoutDate(REQUESTS);
            String api = container == Container.TOMCAT_9 ? "javax" : "jakarta";
            assertFalse(server.app().stderrLines(Pattern.compile("instrumented " + api + "\\.servlet\\.http\\.HttpServlet$"))
                    .isEmpty(), "the hook is in place:\n" + server.app().stderr());
            assertTrue(server.app().agentProblems().isEmpty(), server.app().agentProblems().toString());
        }
        assertTrue(withoutAgent.get(0).startsWith("HTTP/1.1 200") && withoutAgent.get(0).endsWith("run 1\n"),
                withoutAgent.get(0));
        assertTrue(withoutAgent.get(3).endsWith("/async/a run 1\n"), withoutAgent.get(3));
        assertTrue(withoutAgent.get(4).startsWith("HTTP/1.1 404"), withoutAgent.get(4));
        assertEquals(withoutAgent, withAgent);
    }

    private static List<String> answers(Container container, AgentedApp.Builder builder) throws Exception {
        try (ServletServer server = ServletServer.start(container, builder)) {
            return server.answersWithoutDate(REQUESTS);
        }
    }
}
