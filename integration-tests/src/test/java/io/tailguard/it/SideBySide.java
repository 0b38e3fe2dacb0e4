package io.tailguard.it;

import java.util.Map;
import java.util.TreeMap;

/**
 * One application with the agent and the same application without it, both with every client API,
 * for tests that compare what the application got with and without the agent.
 */
final class SideBySide implements AutoCloseable {

    final AgentedApp agent;
    final AgentedApp plain;

    /**
     * The agent with one policy for 127.0.0.1 ({@link TestServer#url}): at most two attempts, a 10 ms
     * backoff, tagging.
     */
    static SideBySide retryingTwice() {
        return new SideBySide("tailguard.policy.api.hosts=127.0.0.1", "tailguard.policy.api.retry.max-attempts=2",
                "tailguard.policy.api.retry.backoff.initial=10ms", "tailguard.policy.api.tagging=true");
    }

    /** Starts both: the agent with {@code config}, one property per line. */
    SideBySide(String... config) {
        this.agent = AgentedApp.withConfig(String.join("\n", config)).everyClient().start();
        this.plain = AgentedApp.withoutAgent().everyClient().start();
    }

    /**
     * What an application got, to compare with the other's: status, body, headers read, or the
     * exception; not how long it took, nor which server answered.
     */
    static Map<String, String> outcome(Map<String, String> got, TestServer server) {
        Map<String, String> outcome = new TreeMap<>(got);
        outcome.remove("elapsedMs");
        outcome.remove("id");
        // A URL in an exception's message or OkHttp's callback thread's name: its port is each server's own.
        outcome.replaceAll((key, value) -> value.replace(":" + server.port(), ":<port>"));
        return outcome;
    }

    /** Stops both, and fails if the agent logged a warning or an error. */
    @Override
    public void close() throws Exception {
        try {
            agent.closeExpectingNoAgentProblem();
        } finally {
            plain.close();
        }
    }
}
