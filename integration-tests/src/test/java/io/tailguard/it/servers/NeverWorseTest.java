package io.tailguard.it.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Never worse than without the agent: for each agent configuration, against each kind of server,
 * every client API makes the same scripted requests — ones the agent does not act on: successes,
 * statuses it does not retry, a POST without Idempotency-Key that gets 503 and then 200, a POST
 * whose connection is dropped unanswered — once in an application without the agent and once in
 * one with it. What the application got (status, body, a response header, the exception type)
 * and what the server saw (how many requests, with which headers and bodies) must be the same;
 * the only difference allowed is the tagging headers of a policy that asks for them, and then
 * every request of a step carries attempt 1: the client's own re-sends included.
 *
 * <p>Each configuration and server kind gets a fresh server, so that both applications start
 * without pooled connections to it and reach each step with the same connections: a client may
 * answer a dropped connection differently when it was pooled.
 */
@Isolated
@Timeout(300)
class NeverWorseTest {

    private static final String POLICY = "tailguard.policy.api.";
    private static final List<String> TAGS = List.of("x-request-id", "x-attempt", "x-is-hedge", "x-request-timeout-ms");

    /** The agent configurations compared with no agent at all. */
    enum AgentConfig {
        /** A policy with everything on, for another host than the one the application calls. */
        UNMATCHED_HOST(false, POLICY + "hosts=127.0.0.1", POLICY + "hedge.delay=2s", POLICY + "tagging=true"),
        RETRIES_ONLY(true, POLICY + "hosts=127.0.0.1"),
        TAGGING(true, POLICY + "hosts=127.0.0.1", POLICY + "tagging=true"),
        /** A hedge armed on every GET, after a delay no loopback answer here comes near. */
        HEDGING_ARMED(true, POLICY + "hosts=127.0.0.1", POLICY + "hedge.delay=2s");

        final boolean matched;
        final String[] config;

        AgentConfig(boolean matched, String... config) {
            this.matched = matched;
            this.config = config;
        }
    }

    /** One request of the sequence and the replies its path gets. */
    private static final class Step {
        final String name;
        final String method;
        final Reply[] replies;

        Step(String name, String method, Reply... replies) {
            this.name = name;
            this.method = method;
            this.replies = replies;
        }
    }

    /** Requests no configuration acts on (beyond tagging). */
    private static final List<Step> NOT_ACTED_ON = List.of(
            new Step("get-200", "GET", Reply.ok("hello").header("X-Server-Note", "kept")),
            new Step("get-404", "GET", Reply.of(404, "missing")),
            new Step("get-500", "GET", Reply.of(500, "broken")),
            new Step("post-503", "POST", Reply.status(503), Reply.of(201, "created")),
            new Step("post-dropped", "POST", Reply.drop(), Reply.of(201, "created")));

    /** On a host no policy matches, also what a policy would retry. */
    private static final List<Step> UNMATCHED_ALSO = List.of(
            new Step("get-503", "GET", Reply.status(503), Reply.ok("recovered")),
            new Step("get-dropped", "GET", Reply.drop(), Reply.ok("recovered")));

    /**
     * The client APIs, grouped by the client instance (and so the connection pool) they share in
     * the application: a group runs its steps one after another, groups run side by side.
     */
    private static final List<List<String>> CLIENT_GROUPS = List.of(List.of("jdk-send"), List.of("jdk-async"),
            List.of("okhttp-execute", "okhttp-enqueue"), List.of("apache4"), List.of("apache4-async"), List.of("apache5"),
            List.of("apache5-async"), List.of("elasticsearch"), List.of("urlconnection"));

    private static final ExecutorService RUNNERS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "never-worse-runner");
        thread.setDaemon(true);
        return thread;
    });
    private static final Map<AgentConfig, AgentedApp> AGENTED = new EnumMap<>(AgentConfig.class);
    private static AgentedApp withoutAgent;

    static Stream<Arguments> configsAndServers() {
        List<Arguments> all = new ArrayList<>();
        for (AgentConfig config : AgentConfig.values()) {
            for (ServerKind kind : ServerKind.values()) {
                all.add(Arguments.of(config, kind));
            }
        }
        return all.stream();
    }

    private static synchronized AgentedApp withoutAgent() {
        if (withoutAgent == null) {
            withoutAgent = AllClientsApp.withoutAgent();
        }
        return withoutAgent;
    }

    private static synchronized AgentedApp agented(AgentConfig config) {
        return AGENTED.computeIfAbsent(config, c -> AllClientsApp.withAgent(c.config));
    }

    @AfterAll
    static void stop() throws Exception {
        RUNNERS.shutdownNow();
        List<AgentedApp> apps = new ArrayList<>(AGENTED.values());
        apps.add(withoutAgent);
        AGENTED.clear();
        AllClientsApp.stopAll(apps);
    }

    @ParameterizedTest(name = "{0} against {1}")
    @MethodSource("configsAndServers")
    void requestsTheAgentDoesNotActOnEndAsWithoutIt(AgentConfig config, ServerKind kind) throws Exception {
        assumeTrue(kind.installed(), kind + " is not installed on this machine (.ci/run installs it)");
        List<Step> steps = new ArrayList<>(NOT_ACTED_ON);
        if (!config.matched) {
            steps.addAll(UNMATCHED_ALSO);
        }
        AgentedApp plain = withoutAgent();
        AgentedApp agent = agented(config);
        try (ScriptedServer server = kind.start()) {
            List<CompletableFuture<List<String>>> plainRuns = new ArrayList<>();
            List<CompletableFuture<List<String>>> agentRuns = new ArrayList<>();
            for (List<String> group : CLIENT_GROUPS) {
                plainRuns.add(CompletableFuture.supplyAsync(() -> run(plain, "plain", server, config, group, steps),
                        RUNNERS));
                agentRuns.add(CompletableFuture.supplyAsync(() -> run(agent, "agent", server, config, group, steps),
                        RUNNERS));
            }
            List<String> problems = new ArrayList<>();
            for (int g = 0; g < CLIENT_GROUPS.size(); g++) {
                List<String> without = plainRuns.get(g).get();
                List<String> with = agentRuns.get(g).get();
                for (int i = 0; i < without.size(); i++) {
                    if (!without.get(i).equals(with.get(i))) {
                        problems.add("\n  without the agent: " + without.get(i) + "\n  with the agent:    " + with.get(i));
                    }
                }
            }
            assertEquals(List.of(), problems, config + " against " + kind + ": outcomes differ");
        }
    }

    /**
     * Runs the steps with each client of a group and describes each: what the application got,
     * and what the server saw, tagging headers checked and then left out.
     */
    private static List<String> run(AgentedApp app, String run, ScriptedServer server, AgentConfig config,
            List<String> clients, List<Step> steps) {
        List<String> described = new ArrayList<>();
        try {
            for (String client : clients) {
                for (Step step : steps) {
                    String path = "/" + run + "/" + client + "/" + step.name;
                    server.plan(path, step.replies);
                    Call call = Call.of(client, step.method, config.matched ? server.url(path)
                            : server.unmatchedUrl(path));
                    if (step.method.equals("POST")) {
                        call.body("string", "order");
                    }
                    if (client.equals("apache4")) {
                        // 4.5 retries statuses only when configured to; this application does (a 503 once, after 1 s).
                        call.option("statusRetry", "on");
                    }
                    Map<String, String> got = app.call(call);
                    String outcome = got.containsKey("error") ? "threw " + got.get("error")
                            : got.get("status") + " '" + got.get("body") + "' note=" + got.get("note");
                    described.add(client + " " + step.name + ": " + outcome + ", server saw "
                            + seen(server.arrivals(path), run.equals("agent") && config == AgentConfig.TAGGING));
                }
            }
        } catch (Exception e) {
            described.add(clients + " failed: " + e);
        }
        return described;
    }

    /**
     * The requests of one step as the server saw them, without tagging headers, whose presence
     * (and attempt number 1 on every request) is checked here instead.
     */
    private static String seen(List<Recorded> arrivals, boolean tagged) {
        List<String> requests = new ArrayList<>();
        String requestId = null;
        for (Recorded arrival : arrivals) {
            List<String> headers = new ArrayList<>();
            for (String line : arrival.headerLines) {
                String name = line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT);
                if (!TAGS.contains(name)) {
                    headers.add(name + line.substring(line.indexOf(':')));
                }
            }
            headers.sort(null);
            String tags = "";
            if (tagged) {
                String id = arrival.header("X-Request-ID");
                boolean sameId = requestId == null || requestId.equals(id);
                requestId = requestId == null ? id : requestId;
                if (id == null || !sameId || !"1".equals(arrival.header("X-Attempt"))
                        || !"false".equals(arrival.header("X-Is-Hedge"))) {
                    tags = " UNEXPECTED TAGS " + arrival.headerLines;
                }
            } else if (arrival.header("X-Attempt") != null || arrival.header("X-Request-ID") != null
                    || arrival.header("X-Request-Timeout-Ms") != null) {
                tags = " UNEXPECTED TAGS " + arrival.headerLines;
            }
            requests.add(arrival.method + " " + headers + " body=" + arrival.body + tags);
        }
        return requests.size() + " " + requests;
    }
}
