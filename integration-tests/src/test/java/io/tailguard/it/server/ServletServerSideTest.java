package io.tailguard.it.server;

import static io.tailguard.it.server.ServletServer.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.server.ServletServer.Container;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The server side in each servlet container: attempts of one request coalesced, a completed
 * {@code Idempotency-Key} request replayed, retries and hedges shed first at the limit, and keys
 * scoped to the caller. One server JVM per container for the whole class; each test its own paths.
 */
@Timeout(300)
class ServletServerSideTest {

    private static final String CONFIG = String.join("\n",
            "tailguard.server.coalesce.paths=/text/*,/echo/*,/streamed/*,/async/*",
            "tailguard.server.replay.ttl=60s",
            "tailguard.server.shed.max-concurrency=2",
            "tailguard.server.shed.retry-after=3s");

    private static final Map<Container, ServletServer> SERVERS = new EnumMap<>(Container.class);
    /** An application calling the servers with the JDK client, hedging after 100 ms. */
    private static AgentedApp client;

    private static synchronized ServletServer server(Container container) {
        return SERVERS.computeIfAbsent(container, c -> ServletServer.start(c, AgentedApp.withConfig(CONFIG)));
    }

    @AfterAll
    static void stopServers() throws IOException {
        for (ServletServer server : SERVERS.values()) {
            server.close();
        }
        SERVERS.clear();
        if (client != null) {
            client.close();
        }
    }

    private static synchronized AgentedApp client() {
        if (client == null) {
            client = AgentedApp.withConfig(String.join("\n",
                    "tailguard.policy.api.hosts=127.0.0.1",
                    "tailguard.policy.api.hedge.delay=100ms",
                    "tailguard.policy.api.tagging=true")).start();
        }
        return client;
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aTailguardClientsHedgeIsAnsweredFromItsPrimarysHandlerRun(Container container) throws Exception {
        ServletServer server = server(container);
        CompletableFuture<Map<String, String>> call = client().callAsync(Call.get("jdk-send",
                "http://127.0.0.1:" + server.port() + "/text/client?hold").header("Authorization", "Bearer c"));
        server.awaitRuns("/text/client", 1);
        server.awaitWaiting(1);
        server.release("/text/client");

        Map<String, String> result = call.get(60, TimeUnit.SECONDS);
        assertEquals("200", result.get("status"), result.toString());
        assertEquals("héllo wörld from /text/client run 1 for Bearer c\n", result.get("body"));
        assertEquals(1, server.runs("/text/client"));
        assertNoAgentProblems(server);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aHedgeArrivingWhileItsPrimaryRunsGetsTheSameResponseFromOneHandlerRun(Container container) throws Exception {
        ServletServer server = server(container);
        HttpAnswer[] answers = primaryAndWaitingHedge(server, "/text/hedged", "Bearer h");
        HttpAnswer first = answers[0];
        HttpAnswer second = answers[1];
        assertEquals(200, first.status, first.toString());
        assertEquals(200, second.status, second.toString());
        assertEquals("héllo wörld from /text/hedged run 1 for Bearer h\n", first.bodyText());
        assertArrayEquals(first.body, second.body);
        assertEquals(first.headerLines, second.headerLines);
        assertEquals(1, server.runs("/text/hedged"));
        assertNoAgentProblems(server);
    }

    /** A response written on after a flush, or by another thread after {@code service} returned, is not shared. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void aHedgeWhosePrimaryStreamsOrAnswersAsynchronouslyRunsTheHandlerItself(Container container) throws Exception {
        ServletServer server = server(container);
        for (String path : new String[] {"/streamed/hedged", "/async/hedged"}) {
            HttpAnswer[] answers = primaryAndWaitingHedge(server, path, "Bearer s");
            HttpAnswer first = answers[0];
            HttpAnswer second = answers[1];
            assertTrue(first.bodyText().endsWith(path + " run 1 for Bearer s\n"), first.toString());
            assertTrue(second.bodyText().endsWith(path + " run 2 for Bearer s\n"), second.toString());
            assertEquals(2, server.runs(path));
        }
        assertNoAgentProblems(server);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void anIdempotencyKeyPostSentAgainAfterItCompletedGetsTheFirstResponseWithoutRunningAgain(Container container)
            throws Exception {
        ServletServer server = server(container);
        String payment = post("/echo/pay", "Idempotency-Key: pay-1\r\nAuthorization: Bearer p\r\n", "pay 10");

        HttpAnswer first = new HttpAnswer(server.exchange(payment));
        HttpAnswer again = new HttpAnswer(server.exchange(payment));
        HttpAnswer otherPayment = new HttpAnswer(server.exchange(
                post("/echo/pay", "Idempotency-Key: pay-1\r\nAuthorization: Bearer p\r\n", "pay 100")));

        assertEquals(201, first.status, first.toString());
        assertEquals("pay 10 run 1", first.bodyText());
        assertEquals(201, again.status, again.toString());
        assertArrayEquals(first.body, again.body);
        assertEquals(first.headerLines, again.headerLines);
        assertEquals(422, otherPayment.status, otherPayment.toString());
        assertEquals(1, server.runs("/echo/pay"));
        assertNoAgentProblems(server);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void atTheConcurrencyLimitRetriesAndHedgesAreRefusedAndOriginalsServed(Container container) throws Exception {
        ServletServer server = server(container);
        CompletableFuture<HttpAnswer> busy1 = server.send(get("/text/busy-1?hold", ""));
        CompletableFuture<HttpAnswer> busy2 = server.send(get("/text/busy-2?hold", ""));
        server.awaitRuns("/text/busy-1", 1);
        server.awaitRuns("/text/busy-2", 1);

        HttpAnswer retry = new HttpAnswer(server.exchange(get("/text/shed", "X-Request-ID: shed-1\r\nX-Attempt: 2\r\n")));
        HttpAnswer hedge = new HttpAnswer(server.exchange(get("/text/shed",
                "X-Request-ID: shed-2\r\nX-Attempt: 2\r\nX-Is-Hedge: true\r\n")));
        HttpAnswer original = new HttpAnswer(server.exchange(get("/text/original", "X-Request-ID: shed-3\r\n")));
        server.release("/text/busy-1");
        server.release("/text/busy-2");

        for (HttpAnswer refused : new HttpAnswer[] {retry, hedge}) {
            assertEquals(503, refused.status, refused.toString());
            assertEquals("3", refused.header("Retry-After"));
            assertEquals("1", refused.header("Tailguard-Shed"));
        }
        assertEquals(200, original.status, original.toString());
        assertEquals(0, server.runs("/text/shed"));
        assertEquals(200, busy1.get(60, TimeUnit.SECONDS).status);
        assertEquals(200, busy2.get(60, TimeUnit.SECONDS).status);
        assertNoAgentProblems(server);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void twoCallersWithTheSameRequestIdButOtherCredentialsGetTheirOwnResponses(Container container) throws Exception {
        ServletServer server = server(container);
        CompletableFuture<HttpAnswer> alice = server.send(get("/text/who?hold",
                "X-Request-ID: same-id\r\nAuthorization: Bearer alice\r\n"));
        server.awaitRuns("/text/who", 1);
        CompletableFuture<HttpAnswer> mallory = server.send(get("/text/who?hold",
                "X-Request-ID: same-id\r\nX-Attempt: 2\r\nAuthorization: Bearer mallory\r\n"));
        server.awaitRuns("/text/who", 2);
        server.release("/text/who");

        HttpAnswer forAlice = alice.get(60, TimeUnit.SECONDS);
        HttpAnswer forMallory = mallory.get(60, TimeUnit.SECONDS);
        assertTrue(forAlice.bodyText().endsWith(" for Bearer alice\n"), forAlice.toString());
        assertTrue(forMallory.bodyText().endsWith(" for Bearer mallory\n"), forMallory.toString());
        assertEquals(2, server.runs("/text/who"));
        assertNoAgentProblems(server);
    }

    /**
     * Sends a held request and, once its handler runs, its hedge; lets the handler go once the hedge
     * waits in the agent for it; returns both answers.
     */
    private static HttpAnswer[] primaryAndWaitingHedge(ServletServer server, String path, String authorization)
            throws Exception {
        String tags = "X-Request-ID: " + path + "\r\nAuthorization: " + authorization + "\r\n";
        CompletableFuture<HttpAnswer> primary = server.send(get(path + "?hold", tags));
        server.awaitRuns(path, 1);
        CompletableFuture<HttpAnswer> hedge = server.send(get(path + "?hold", tags + "X-Attempt: 2\r\nX-Is-Hedge: true\r\n"));
        server.awaitWaiting(1);
        server.release(path);
        return new HttpAnswer[] {primary.get(60, TimeUnit.SECONDS), hedge.get(60, TimeUnit.SECONDS)};
    }

    private static void assertNoAgentProblems(ServletServer server) {
        assertTrue(server.app().agentProblems().isEmpty(), server.app().agentProblems().toString());
    }

    private static String post(String target, String headers, String body) {
        return "POST " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Content-Type: text/plain\r\n"
                + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
    }
}
