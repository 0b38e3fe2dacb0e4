package io.tailguard.it.okhttp;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * OkHttp loaded by a child {@code URLClassLoader} (a web application, a fat-jar launcher), with
 * nothing of OkHttp on the system class path: the agent's hooks and adapter still apply the policy.
 */
@Timeout(120)
class OkHttpChildClassLoaderTest {

    @AutoClose
    private final TestServer server = new TestServer();

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versions")
    void appliesThePolicyWhenOkHttpLivesInAChildClassLoader(String version) throws Exception {
        try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.retry.backoff.initial=10ms",
                        "tailguard.policy.api.tagging=true"))
                .jvmOption("-Disolated.okhttp.dir=" + AgentedApp.clientDirectory(version))
                .start()) {
            for (String api : new String[] {"okhttp-isolated-execute", "okhttp-isolated-enqueue"}) {
                server.enqueue(status(503), ok("from the child loader"));

                Map<String, String> result = app.call(Call.get(api, server.url("/item")));

                assertEquals("200", result.get("status"), api + ": " + result);
                assertEquals("from the child loader", result.get("body"));
                Arrival first = server.take();
                Arrival second = server.take();
                assertEquals("1", first.header("X-Attempt"));
                assertEquals("2", second.header("X-Attempt"));
                assertEquals(first.header("X-Request-ID"), second.header("X-Request-ID"));
                Map<String, String> state = app.send("inspect", Map.of("client", api), 30);
                assertTrue(state.get("okhttpLoader").contains("isolated-okhttp"), state.toString());
                assertEquals("false", state.get("systemLoaderSeesOkHttp"));
            }
            assertEquals(List.of(), OkHttpApps.agentProblems(app), "no internal failure fell back to the plain call");
        }
    }
}
