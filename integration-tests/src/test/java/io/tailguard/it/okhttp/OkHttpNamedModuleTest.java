package io.tailguard.it.okhttp;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
 * OkHttp on the module path, as the named module {@code okhttp3}: an automatic module for 3.14 and
 * 4.12, an explicit one (its own {@code module-info}) for 5. The hooked methods still reach the
 * agent and the policy applies. OkHttp 5's module does not export {@code okhttp3.internal.connection},
 * so the client a tagged attempt needs cannot be reached: its attempts go out untagged, and the
 * agent says so once.
 */
@Timeout(120)
class OkHttpNamedModuleTest {

    @AutoClose
    private final TestServer server = new TestServer();

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versions")
    void retriesWhenOkHttpIsANamedModule(String version) throws Exception {
        boolean explicitModule = version.equals("okhttp-5");
        try (AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.retry.backoff.initial=10ms",
                        "tailguard.policy.api.tagging=true"))
                .jvmOption("--module-path=" + AgentedApp.clientDirectory(version))
                .jvmOption("--add-modules=ALL-MODULE-PATH")
                .start()) {
            for (String api : OkHttpApps.APIS) {
                server.enqueue(status(503), ok("from the module"));

                Map<String, String> result = app.call(Call.get(api, server.url("/item")));

                assertEquals("200", result.get("status"), api + ": " + result);
                assertEquals("from the module", result.get("body"));
                Arrival first = server.take();
                Arrival second = server.take();
                if (explicitModule) {
                    assertNull(second.header("X-Attempt"), "no tagging without the client");
                } else {
                    assertEquals("1", first.header("X-Attempt"));
                    assertEquals("2", second.header("X-Attempt"));
                }
                Map<String, String> state = app.send("inspect", Map.of("client", api), 30);
                assertEquals("module okhttp3", state.get("okhttpModule"));
            }
            List<String> problems = OkHttpApps.agentProblems(app);
            if (explicitModule) {
                assertEquals(1, problems.size(), problems.toString());
                assertTrue(problems.get(0).contains("without tagging headers"), problems.toString());
            } else {
                assertEquals(List.of(), problems);
            }
        }
    }
}
