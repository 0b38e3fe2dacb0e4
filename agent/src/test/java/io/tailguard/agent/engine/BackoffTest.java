package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.config.PolicyConfig;
import io.tailguard.agent.config.TestConfigs;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Random seeded = new Random(42);
    private final RandomSource random = new RandomSource() {
        @Override
        public long nextLong(long bound) {
            return (long) (seeded.nextDouble() * bound);
        }

        @Override
        public long nextLong() {
            return seeded.nextLong();
        }
    };

    private static PolicyConfig policy(boolean adaptive) {
        return TestConfigs.policy("tailguard.policy.p.hosts=a",
                "tailguard.policy.p.retry.backoff.initial=100ms",
                "tailguard.policy.p.retry.backoff.max=2s",
                "tailguard.policy.p.retry.backoff.adaptive=" + adaptive);
    }

    @Test
    void fullJitterStaysBetweenZeroAndTheExponentialCeiling() {
        Backoff backoff = new Backoff(policy(false));
        long[] ceilings = {100, 200, 400, 800, 1600, 2000, 2000};
        for (int retry = 1; retry <= ceilings.length; retry++) {
            long max = 0;
            long min = Long.MAX_VALUE;
            for (int i = 0; i < 2_000; i++) {
                long d = backoff.delayNanos(retry, random);
                max = Math.max(max, d);
                min = Math.min(min, d);
            }
            long ceiling = ceilings[retry - 1] * 1_000_000L;
            assertTrue(max <= ceiling, "retry " + retry + ": " + max);
            assertTrue(max > ceiling * 0.95, "retry " + retry + " never came near its ceiling: " + max);
            assertTrue(min < ceiling * 0.05, "retry " + retry + " never came near 0: " + min);
        }
    }

    @Test
    void theAdaptiveBaseClimbsWhileFailingAndRelaxesWhenHealthy() {
        Backoff backoff = new Backoff(policy(true));
        assertEquals(100_000_000L, backoff.baseNanos());
        long previous = backoff.baseNanos();
        for (int i = 0; i < 30; i++) {
            backoff.record(false);
            assertTrue(backoff.baseNanos() > previous, "the base should grow with every failure");
            previous = backoff.baseNanos();
        }
        assertTrue(previous > 1_500_000_000L, "after sustained failure the base nears the 2 s cap: " + previous);
        for (int i = 0; i < 60; i++) {
            backoff.record(true);
        }
        assertTrue(backoff.baseNanos() < 120_000_000L, "healthy again: " + backoff.baseNanos());
    }

    @Test
    void aFixedBaseIgnoresOutcomes() {
        Backoff backoff = new Backoff(policy(false));
        for (int i = 0; i < 30; i++) {
            backoff.record(false);
        }
        assertEquals(100_000_000L, backoff.baseNanos());
    }
}
