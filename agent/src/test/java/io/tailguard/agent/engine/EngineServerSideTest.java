package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.config.TestConfigs;
import io.tailguard.agent.server.ServerEngine;
import org.junit.jupiter.api.Test;

/** The server side, built when first asked for, follows the configuration as if it had always been there. */
class EngineServerSideTest {

    private final ManualTime time = new ManualTime();
    private final Engine engine = new Engine(time, time, Runnable::run, RandomSource.THREAD_LOCAL, failure -> { });

    @Test
    void builtAfterTheConfigurationItHasTheConfigurationInForce() throws Exception {
        engine.configure(TestConfigs.parse("tailguard.server.shed.max-concurrency=200"));
        assertTrue(engine.server().active());
    }

    @Test
    void builtBeforeItFollowsEachNewConfiguration() throws Exception {
        ServerEngine server = engine.server();
        assertFalse(server.active());
        engine.configure(TestConfigs.parse("tailguard.server.drop-expired=true"));
        assertTrue(server.active());
        engine.configure(TestConfigs.parse("tailguard.policy.api.hosts=api"));
        assertFalse(server.active());
    }

    @Test
    void oneServerSidePerEngine() throws Exception {
        engine.configure(TestConfigs.parse("tailguard.policy.api.hosts=api"));
        assertSame(engine.server(), engine.server());
    }
}
