package io.tailguard.it.apache;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.SelfSignedTls;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The application with Apache HttpClient 4.5, HttpAsyncClient 4.1 (and Elasticsearch's RestClient
 * on it) and HttpClient 5 on its class path, as some services have.
 */
final class ApacheApps {

    static final String POLICY = "tailguard.policy.api.";

    /** Retries on 127.0.0.1 with short backoffs, every attempt tagged. */
    static final List<String> RETRYING = List.of(
            POLICY + "hosts=127.0.0.1",
            POLICY + "retry.backoff.initial=10ms",
            POLICY + "retry.backoff.max=50ms",
            POLICY + "tagging=true");

    private ApacheApps() {
    }

    static AgentedApp start(List<String> base, String... more) {
        List<String> config = new ArrayList<>(base);
        config.addAll(List.of(more));
        return start(config.toArray(new String[0]));
    }

    static AgentedApp start(String... config) {
        return withApacheClients(AgentedApp.withConfig(String.join("\n", config)));
    }

    /** The application trusting {@code tls}'s certificate, for HTTPS. */
    static AgentedApp startTrusting(SelfSignedTls tls, String... config) {
        return withApacheClients(AgentedApp.withConfig(String.join("\n", config)).trusting(tls));
    }

    /** The same application without the agent. */
    static AgentedApp withoutAgent() {
        return withApacheClients(AgentedApp.withoutAgent());
    }

    private static AgentedApp withApacheClients(AgentedApp.Builder builder) {
        return builder.classpath(AgentedApp.clientClasspath("apache-4.5"))
                .classpath(AgentedApp.clientClasspath("apache-async-4.1"))
                .classpath(AgentedApp.clientClasspath("apache-5"))
                .start();
    }

    /**
     * The pool's leased count once the connections the application returned have been released:
     * a loser is aborted before the winner reaches the application, but the aborted attempt's
     * thread may still be unwinding, so this waits up to five seconds for the count to settle.
     */
    static int leasedWhenSettled(AgentedApp app, String client, Map<String, String> options) throws InterruptedException {
        Map<String, String> command = new java.util.HashMap<>(options);
        command.put("client", client);
        long deadline = System.nanoTime() + 5_000_000_000L;
        int leased;
        do {
            leased = Integer.parseInt(app.send("inspect", command, 30).get("leased"));
            if (leased == 0) {
                return 0;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return leased;
    }
}
