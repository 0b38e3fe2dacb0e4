package io.tailguard.it.okhttp;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.SelfSignedTls;
import io.tailguard.it.TestServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * One application JVM per OkHttp version, all with the same agent configuration, started on first
 * use. The versions cannot share a class path (and MockWebServer 5 pins OkHttp 5 in the test JVM),
 * so each runs with only its own jars: {@code target/clients/okhttp-3.14}, {@code okhttp-4.12},
 * {@code okhttp-5}.
 */
final class OkHttpApps implements AutoCloseable {

    static final List<String> VERSIONS = List.of("okhttp-3.14", "okhttp-4.12", "okhttp-5");
    static final List<String> APIS = List.of("okhttp-execute", "okhttp-enqueue");

    private final String config;
    /** The certificate the applications trust, for HTTPS; {@code null} for none. */
    private final SelfSignedTls tls;
    private final Map<String, AgentedApp> apps = new LinkedHashMap<>();

    OkHttpApps(String... configLines) {
        this(null, configLines);
    }

    /** Applications that trust {@code tls}'s certificate as well. */
    OkHttpApps(SelfSignedTls tls, String... configLines) {
        this.config = String.join("\n", configLines);
        this.tls = tls;
    }

    /** Every version with both APIs: {@code execute} and {@code enqueue}. */
    static Stream<Arguments> versionsAndApis() {
        return versionsApisAnd();
    }

    /** Every version with both APIs, each with every one of {@code variants} as a third argument. */
    static Stream<Arguments> versionsApisAnd(String... variants) {
        List<Arguments> all = new ArrayList<>();
        for (String version : VERSIONS) {
            for (String api : APIS) {
                if (variants.length == 0) {
                    all.add(Arguments.of(version, api));
                }
                for (String variant : variants) {
                    all.add(Arguments.of(version, api, variant));
                }
            }
        }
        return all.stream();
    }

    static Stream<String> versions() {
        return VERSIONS.stream();
    }

    synchronized AgentedApp app(String version) {
        return apps.computeIfAbsent(version, v -> {
            AgentedApp.Builder builder = AgentedApp.withConfig(config).classpath(AgentedApp.clientClasspath(v));
            return warmedUp((tls == null ? builder : builder.trusting(tls)).start());
        });
    }

    /**
     * A first call in a fresh JVM loads OkHttp, its platform and the agent's adapter, which takes
     * longer than a hedge delay: done here, so that tests time requests, not class loading.
     */
    static AgentedApp warmedUp(AgentedApp app) {
        try (TestServer server = new TestServer()) {
            for (String api : APIS) {
                app.call(Call.get(api, server.url("/warm-up")));
                app.call(Call.get(api, server.unmatchedUrl("/warm-up")));
            }
        }
        return app;
    }

    /**
     * Stops the applications, and fails if the agent logged a warning or an error in any of them:
     * the agent falls back to the plain call on an internal failure, which a test of the result
     * alone could mistake for success.
     */
    @Override
    public synchronized void close() throws Exception {
        StringBuilder problems = new StringBuilder();
        for (Map.Entry<String, AgentedApp> app : apps.entrySet()) {
            for (String line : agentProblems(app.getValue())) {
                problems.append(app.getKey()).append(": ").append(line).append('\n');
            }
            app.getValue().close();
        }
        apps.clear();
        if (problems.length() > 0) {
            throw new AssertionError("the agent reported problems:\n" + problems);
        }
    }

    /** The warnings and errors the agent logged in {@code app} so far. */
    static List<String> agentProblems(AgentedApp app) {
        return app.agentProblems();
    }
}
