package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.config.TestConfigs;
import org.junit.jupiter.api.Test;

/** Whether a client should hold a one-shot body: only when the policy may send the request again. */
class EngineMayRepeatTest {

    private final ManualTime time = new ManualTime();
    private final Engine engine = new Engine(time, time, Runnable::run, RandomSource.THREAD_LOCAL, failure -> { });

    private PolicyRuntime policy(String... lines) throws Exception {
        engine.configure(TestConfigs.parse(lines));
        return engine.policyFor("api", 80);
    }

    @Test
    void aMethodItRetriesOrAKeyedRequest() throws Exception {
        PolicyRuntime policy = policy("tailguard.policy.api.hosts=api");
        assertTrue(engine.mayRepeat(policy, "PUT", false));
        assertFalse(engine.mayRepeat(policy, "POST", false));
        assertTrue(engine.mayRepeat(policy, "POST", true));
    }

    @Test
    void aMethodItOnlyHedges() throws Exception {
        PolicyRuntime policy = policy("tailguard.policy.api.hosts=api", "tailguard.policy.api.retry.max-attempts=1",
                "tailguard.policy.api.hedge.delay=50ms", "tailguard.policy.api.hedge.methods=GET,PATCH");
        assertTrue(engine.mayRepeat(policy, "PATCH", false));
        assertFalse(engine.mayRepeat(policy, "PUT", true));
    }

    @Test
    void neverWithoutRetriesAKeyOrInShadowMode() throws Exception {
        assertFalse(engine.mayRepeat(policy("tailguard.policy.api.hosts=api", "tailguard.policy.api.retry.max-attempts=1"),
                "PUT", false));
        assertFalse(engine.mayRepeat(policy("tailguard.policy.api.hosts=api",
                "tailguard.policy.api.retry.idempotency-key=false"), "POST", true));
        assertFalse(engine.mayRepeat(policy("tailguard.mode=shadow", "tailguard.policy.api.hosts=api"), "PUT", false));
    }
}
