package io.tailguard.it.servers;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import java.util.ArrayList;
import java.util.List;

/**
 * The application with every client API on its class path (Apache HttpClient 4.5, HttpAsyncClient 4.1 and 5, OkHttp
 * 4.12, and the JDK's), started with a given agent configuration or without the agent.
 */
final class AllClientsApp {

    /**
     * Every client API the suites run: the JDK's send and sendAsync, OkHttp's execute and enqueue,
     * Apache's four (4.5 classic, HttpAsyncClient 4.1, 5 classic, 5 async), and Elasticsearch's
     * RestClient on HttpAsyncClient 4.1.
     */
    static final List<String> CLIENTS = List.of("jdk-send", "jdk-async", "okhttp-execute", "okhttp-enqueue",
            "apache4", "apache4-async", "apache5", "apache5-async", "elasticsearch");

    private AllClientsApp() {
    }

    static AgentedApp withAgent(String... config) {
        return warmedUp(withClients(AgentedApp.withConfig(String.join("\n", config))));
    }

    static AgentedApp withoutAgent() {
        return warmedUp(withClients(AgentedApp.withoutAgent()));
    }

    private static AgentedApp withClients(AgentedApp.Builder builder) {
        return builder.everyClient().start();
    }

    /**
     * Stops the applications, and fails if the agent logged a warning or an error in any of them:
     * an internal failure falls back to the plain call, which a comparison of outcomes alone
     * could mistake for success.
     */
    static void stopAll(Iterable<AgentedApp> apps) throws Exception {
        List<String> problems = new ArrayList<>();
        for (AgentedApp app : apps) {
            if (app != null) {
                problems.addAll(app.agentProblems());
                app.close();
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("the agent reported problems:\n" + String.join("\n", problems));
        }
    }

    /**
     * A first call in a fresh JVM loads the client and the agent's adapter for it, which can take
     * longer than a hedge delay: done here, against a server of its own, so that tests time
     * requests, not class loading.
     */
    private static AgentedApp warmedUp(AgentedApp app) {
        try (ScriptedServer server = ServerKind.MOCKWEBSERVER.start()) {
            for (String client : CLIENTS) {
                app.call(Call.get(client, server.url("/warm-up")));
                app.call(Call.get(client, server.unmatchedUrl("/warm-up")));
            }
        }
        return app;
    }
}
