package io.tailguard.agent.metrics;

import io.tailguard.agent.config.ConfigParser;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.Clock;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.RandomSource;
import io.tailguard.agent.engine.Scheduler;

/** Configurations and an engine for the metrics tests. */
final class TestConfigs {

    private TestConfigs() {
    }

    static TailguardConfig config(String... lines) throws Exception {
        ConfigParser.Settings settings = new ConfigParser.Settings();
        for (String line : lines) {
            int eq = line.indexOf('=');
            settings.put(line.substring(0, eq), line.substring(eq + 1), "test");
        }
        return ConfigParser.parse(settings.asMap(), "test");
    }

    static Engine engine() {
        Scheduler never = (task, delay) -> Scheduler.Cancellable.NONE;
        return new Engine(Clock.SYSTEM, never, Runnable::run, RandomSource.THREAD_LOCAL, failure -> {
            throw new AssertionError(failure);
        });
    }
}
