package io.tailguard.it.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The core behaviour of every client API — a retried 503 with every attempt tagged, a body
 * replayed intact, a hedge that wins — against every kind of server, the ones we did not write included (Nagle on, headers and
 * body in two writes). The clients' other behaviour suites run against MockWebServer; this one
 * shows the same behaviour does not depend on it. What the agent must leave alone (pass-through,
 * a POST it may not retry) is compared with the application without the agent in
 * {@link NeverWorseTest}.
 */
@Timeout(180)
class ClientsOnEveryServerTest {

    private static final String POLICY = "tailguard.policy.api.";
    private static final Map<ServerKind, ScriptedServer> SERVERS = new EnumMap<>(ServerKind.class);
    private static final AtomicInteger PATHS = new AtomicInteger();
    private static AgentedApp retrying;
    private static AgentedApp hedging;

    static Stream<Arguments> serversAndClients() {
        List<Arguments> all = new ArrayList<>();
        for (ServerKind kind : ServerKind.values()) {
            for (String client : AllClientsApp.CLIENTS) {
                all.add(Arguments.of(kind, client));
            }
        }
        return all.stream();
    }

    /**
     * The clients that are retried and tagged: every one, and {@code HttpURLConnection}, which is
     * not hedged.
     */
    static Stream<Arguments> serversAndRetryingClients() {
        List<Arguments> all = new ArrayList<>(serversAndClients().collect(java.util.stream.Collectors.toList()));
        for (ServerKind kind : ServerKind.values()) {
            all.add(Arguments.of(kind, "urlconnection"));
        }
        return all.stream();
    }

    private static synchronized ScriptedServer server(ServerKind kind) {
        assumeTrue(kind.installed(), kind + " is not installed on this machine (.ci/run installs it)");
        return SERVERS.computeIfAbsent(kind, ServerKind::start);
    }

    /**
     * Every test here retries or hedges, about two hundred extra attempts in a few seconds: more
     * than the default budget's reserve (10 a second over 10 s), which would refuse some of them.
     */
    private static final String AMPLE_BUDGET = "tailguard.budget.min-per-second=10000";

    private static synchronized AgentedApp retrying() {
        if (retrying == null) {
            retrying = AllClientsApp.withAgent(AMPLE_BUDGET, POLICY + "hosts=127.0.0.1",
                    POLICY + "retry.backoff.initial=10ms", POLICY + "retry.backoff.max=50ms", POLICY + "tagging=true");
        }
        return retrying;
    }

    private static synchronized AgentedApp hedging() {
        if (hedging == null) {
            hedging = AllClientsApp.withAgent(AMPLE_BUDGET, POLICY + "hosts=127.0.0.1", POLICY + "hedge.delay=100ms",
                    POLICY + "tagging=true");
        }
        return hedging;
    }

    @AfterAll
    static void stop() throws Exception {
        for (ScriptedServer server : SERVERS.values()) {
            server.close();
        }
        SERVERS.clear();
        AllClientsApp.stopAll(Arrays.asList(retrying, hedging));
    }

    private static String path(String what, String client) {
        return "/" + what + "/" + client + "/" + PATHS.incrementAndGet();
    }

    @ParameterizedTest(name = "{1} against {0}")
    @MethodSource("serversAndRetryingClients")
    void retriesAGetOn503UntilItSucceedsAndTagsEveryAttempt(ServerKind kind, String client) throws Exception {
        ScriptedServer server = server(kind);
        String path = path("retry", client);
        server.plan(path, Reply.status(503), Reply.status(503), Reply.ok("hello"));

        Map<String, String> result = retrying().call(Call.get(client, server.url(path)));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("hello", result.get("body"));
        List<Recorded> arrivals = server.await(path, 3);
        assertEquals(3, arrivals.size(), arrivals.toString());
        String requestId = arrivals.get(0).header("X-Request-ID");
        assertNotNull(requestId, arrivals.toString());
        for (int i = 0; i < 3; i++) {
            assertEquals(Integer.toString(i + 1), arrivals.get(i).header("X-Attempt"), arrivals.toString());
            assertEquals("false", arrivals.get(i).header("X-Is-Hedge"));
            assertEquals(requestId, arrivals.get(i).header("X-Request-ID"));
        }
    }

    @ParameterizedTest(name = "{1} against {0}")
    @MethodSource("serversAndRetryingClients")
    void replaysABodyIntactWhenItRetriesAPutOrAPostCarryingAnIdempotencyKey(ServerKind kind, String client)
            throws Exception {
        ScriptedServer server = server(kind);
        String body = "payload-" + "x".repeat(10_000);
        for (String method : new String[] {"PUT", "POST"}) {
            String path = path(method.toLowerCase(Locale.ROOT), client);
            server.plan(path, Reply.status(503), Reply.of(201, "stored"));
            Call call = Call.of(client, method, server.url(path)).body("bytes", body);
            if (method.equals("POST")) {
                call.header("Idempotency-Key", "order-17");
            }

            Map<String, String> result = retrying().call(call);

            assertEquals("201", result.get("status"), method + " " + result);
            assertEquals("stored", result.get("body"));
            List<Recorded> arrivals = server.await(path, 2);
            assertEquals(2, arrivals.size(), arrivals.toString());
            for (int i = 0; i < 2; i++) {
                assertEquals(body, arrivals.get(i).body, method + " attempt " + (i + 1));
                assertEquals(Integer.toString(i + 1), arrivals.get(i).header("X-Attempt"));
            }
        }
    }

    @ParameterizedTest(name = "{1} against {0}")
    @MethodSource("serversAndClients")
    void aSlowPrimaryIsHedgedAndTheFastHedgeWins(ServerKind kind, String client) throws Exception {
        ScriptedServer server = server(kind);
        String path = path("hedge", client);
        server.plan(path, Reply.ok("slow").after(3_000), Reply.ok("fast"));

        Map<String, String> result = hedging().call(Call.get(client, server.url(path)));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("fast", result.get("body"));
        long elapsed = Long.parseLong(result.get("elapsedMs"));
        assertTrue(elapsed < 2_000, "answered after the 100 ms hedge delay, not the 3 s stall: " + result);
        List<Recorded> arrivals = server.await(path, 2);
        assertEquals(2, arrivals.size(), arrivals.toString());
        assertEquals("1", arrivals.get(0).header("X-Attempt"));
        assertEquals("false", arrivals.get(0).header("X-Is-Hedge"));
        assertEquals("2", arrivals.get(1).header("X-Attempt"));
        assertEquals("true", arrivals.get(1).header("X-Is-Hedge"));
        assertEquals(arrivals.get(0).header("X-Request-ID"), arrivals.get(1).header("X-Request-ID"));
    }
}
