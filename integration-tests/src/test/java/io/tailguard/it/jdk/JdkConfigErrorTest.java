package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A malformed configuration never takes the application down, and says exactly what is wrong. */
@Timeout(120)
class JdkConfigErrorTest {

    @Test
    void aMalformedFileLeavesTheApplicationRunningWithOneClearError() throws Exception {
        String broken = String.join("\n",
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.retry.timeout=5 sec",
                "tailguard.policy.api.retry.max-atempts=4",
                "tailguard.policy.other.hosts=127.0.0.1");
        try (TestServer server = new TestServer(); AgentedApp app = AgentedApp.withConfig(broken).start()) {
            server.respondWith(request -> TestServer.status(503));

            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item")));

            assertEquals("503", result.get("status"), "the application completed its request");
            assertEquals(1, server.requestCount(), "pass-through: no retries with a rejected configuration");
            String stderr = app.stderr();
            assertEquals(1, count(stderr, "[tailguard] ERROR"), stderr);
            assertTrue(stderr.contains("tailguard.policy.api.retry.timeout: '5 sec'"), stderr);
            assertTrue(stderr.contains("expected a positive duration: a number with the unit ms, s or m"), stderr);
            assertTrue(stderr.contains("tailguard.policy.api.retry.max-atempts: unknown key"), stderr);
            assertTrue(stderr.contains("did you mean tailguard.policy.api.retry.max-attempts?"), stderr);
            assertTrue(stderr.contains("pattern '127.0.0.1' is also claimed by tailguard.policy.api.hosts"), stderr);
            assertTrue(stderr.contains("runs pass-through"), stderr);
        }
    }

    @Test
    void aBadEnvironmentVariableAndSystemPropertyAreNamedToo() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig("tailguard.policy.api.hosts=127.0.0.1")
                        .environment("TAILGUARD_BUDGET_RATIO", "lots")
                        .jvmOption("-Dtailguard.mode=loud").start()) {
            assertEquals("200", app.call(Call.get("jdk-send", server.url("/item"))).get("status"));
            String stderr = app.stderr();
            assertTrue(stderr.contains("tailguard.budget.ratio: 'lots' (from environment variable "
                    + "TAILGUARD_BUDGET_RATIO) is not valid; expected a ratio from 0 to 1"), stderr);
            assertTrue(stderr.contains("tailguard.mode: 'loud' (from -Dtailguard.mode) is not valid; expected one of"
                    + " enforce, shadow"), stderr);
        }
    }

    @Test
    void aStrayEnvironmentVariableIsOneWarningAndThePoliciesStayInForce() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig("tailguard.policy.api.hosts=127.0.0.1\n"
                        + "tailguard.policy.api.retry.backoff.initial=10ms\ntailguard.policy.api.tagging=true")
                        .environment("TAILGUARD_FOO", "1.2").start()) {
            server.respondWith(request -> "2".equals(request.getHeaders().get("X-Attempt"))
                    ? TestServer.ok("second attempt") : TestServer.status(503));

            assertEquals("200", app.call(Call.get("jdk-send", server.url("/item"))).get("status"), app.stderr());
            assertEquals(2, server.requestCount(), "retried: the policy is in force");
            String stderr = app.stderr();
            assertEquals(1, count(stderr, "[tailguard]"), stderr);
            assertTrue(stderr.contains("[tailguard] WARN environment variable TAILGUARD_FOO is not a Tailguard "
                    + "setting and is ignored"), stderr);
        }
    }

    @Test
    void strictModeExitsOnAnInvalidConfiguration() throws Exception {
        IllegalStateException failed = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> AgentedApp.withConfig("tailguard.strict=true\ntailguard.polcy.api.hosts=x").start());
        assertTrue(failed.getMessage().contains("exiting because the configuration is invalid"), failed.getMessage());
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
