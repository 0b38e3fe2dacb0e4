package io.tailguard.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application started from an AOT cache (JDK 25's {@code -XX:AOTCache}), the JDK's way to start
 * faster: its classes come loaded and linked from the cache, and the module graph too. With the
 * agent given when the cache is made, the JVM keeps that module graph, which {@code -javaagent}
 * otherwise makes it build at every start; the classes the agent rewrites are left out of the
 * cache and rewritten as they load. A cache made without the agent the JVM refuses once the agent
 * is given (its module options differ), and starts without it: a deployment that adds the agent
 * trains its cache again. Either way the requests of five client APIs (JDK {@code send},
 * {@code HttpURLConnection}, OkHttp {@code execute}, Apache 5 and 4.5) are retried and tagged as
 * without a cache. JDK 25 and later; the JDK 17 run skips it.
 */
@Timeout(180)
class AotCacheTest {

    private static final List<String> APIS = List.of("jdk-send", "urlconnection", "okhttp-execute", "apache5",
            "apache4");

    @TempDir
    Path dir;

    @AutoClose
    private final TestServer server = new TestServer();

    /** The agent's configuration, one file for the training run and the runs after it, as in a deployment. */
    private Path config;

    /** The application's classes in a jar: an AOT cache takes no directory with files in it on the class path. */
    private static Path applicationJar;

    @BeforeAll
    static void aotCachesNeedJdk25(@TempDir Path jars) throws Exception {
        try (AgentedApp probe = AgentedApp.withoutAgent().start()) {
            assumeTrue(Runtime.Version.parse(probe.javaVersion()).feature() >= 25, "AOT caches: Java 25 and later");
        }
        applicationJar = jarOf(AgentedApp.applicationClassesDirectory(), jars.resolve("application.jar"));
    }

    /** The JDK's {@code jar} tool puts {@code classes} into {@code jar}. */
    private static Path jarOf(Path classes, Path jar) {
        int exit = ToolProvider.findFirst("jar").orElseThrow()
                .run(System.out, System.err, "--create", "--file", jar.toString(), "-C", classes.toString(), ".");
        assertEquals(0, exit, "jar of " + classes);
        return jar;
    }

    @BeforeEach
    void retryingAndTagging() throws IOException {
        config = Files.writeString(dir.resolve("tailguard.properties"), String.join("\n",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.api.tagging=true", ""));
        // 503 unless the request is a tagged second attempt: only a retry can succeed.
        server.respondWith(request -> "2".equals(request.getHeaders().get("X-Attempt"))
                ? TestServer.ok("second attempt") : TestServer.status(503));
    }

    @Test
    void aCacheMadeWithTheAgentKeepsTheModuleGraphAndEveryRequestIsRetriedTagged() throws Exception {
        Path cache = dir.resolve("with-agent.aot");
        makeCache(withAgent(), cache);

        Path log = dir.resolve("aot.log");
        try (AgentedApp app = withAgent().applicationJar(applicationJar).everyClient()
                .jvmOption("-XX:AOTCache=" + cache)
                .jvmOption("-Xlog:aot=info:file=" + log).start()) {
            for (String api : APIS) {
                assertRetriedOnceTagged(app, api);
            }
            app.closeExpectingNoAgentProblem();
        }
        String aot = Files.readString(log);
        assertTrue(aot.contains("Opened AOT cache"), aot);
        assertTrue(aot.contains("full module graph: enabled"), "the module graph from the cache:\n" + aot);
    }

    @Test
    void aCacheMadeWithoutTheAgentIsRefusedByTheJvmAndEveryRequestIsStillRetriedTagged() throws Exception {
        Path cache = dir.resolve("without-agent.aot");
        makeCache(AgentedApp.withoutAgent(), cache);

        try (AgentedApp app = withAgent().applicationJar(applicationJar).everyClient()
                .jvmOption("-XX:AOTCache=" + cache)
                .start()) {
            for (String api : APIS) {
                assertRetriedOnceTagged(app, api);
            }
            // The JVM's own words: the cache's module options are not this run's, so it starts without it.
            assertTrue(app.stderr().contains("Mismatched values for property jdk.module.addmods: java.instrument"),
                    app.stderr());
            app.closeExpectingNoAgentProblem();
        }
    }

    private AgentedApp.Builder withAgent() {
        return AgentedApp.withConfig(null).agentArgument(config.toString());
    }

    /**
     * A training run, as a deployment makes its cache: the application makes the calls it makes in
     * production, and the JVM writes the cache as it exits.
     */
    private void makeCache(AgentedApp.Builder training, Path cache) throws Exception {
        try (AgentedApp app = training.applicationJar(applicationJar).everyClient()
                .jvmOption("-XX:AOTCacheOutput=" + cache).start()) {
            for (String api : APIS) {
                app.call(Call.get(api, server.url("/training")));
            }
            assertTrue(app.exitsWithin(120), "the training run exits once its cache is written\n" + app.stderr());
        }
        assertTrue(Files.size(cache) > 0, "no AOT cache at " + cache);
        server.drain();
    }

    private void assertRetriedOnceTagged(AgentedApp app, String api) throws InterruptedException {
        int before = server.requestCount();

        Map<String, String> result = app.call(Call.get(api, server.url("/item")));

        assertEquals("200", result.get("status"), api + ": " + result + "\n" + app.stderr());
        assertEquals("second attempt", result.get("body"), api);
        assertEquals(before + 2, server.requestCount(), api);
        List<Arrival> arrivals = List.of(server.take(), server.take());
        for (int i = 0; i < 2; i++) {
            assertEquals(List.of(Integer.toString(i + 1)), arrivals.get(i).request.getHeaders().values("X-Attempt"),
                    api + ": one tag per attempt");
        }
    }
}
