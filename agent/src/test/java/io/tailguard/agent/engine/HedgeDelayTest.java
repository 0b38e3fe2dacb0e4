package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.agent.config.HedgeConfig;
import io.tailguard.agent.config.TestConfigs;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HedgeDelayTest {

    private final ManualTime time = new ManualTime();

    private HedgeDelay percentile(String p, int minSamples, String window) {
        HedgeConfig config = TestConfigs.policy("tailguard.policy.p.hosts=a",
                "tailguard.policy.p.hedge.delay=" + p,
                "tailguard.policy.p.hedge.min-samples=" + minSamples,
                "tailguard.policy.p.hedge.window=" + window,
                "tailguard.policy.p.hedge.min-delay=1ms",
                "tailguard.policy.p.hedge.max-delay=10s").hedge();
        return new HedgeDelay(config, time);
    }

    @Test
    void noHedgeUntilTheWindowHoldsEnoughSamples() {
        HedgeDelay delay = percentile("p90", 20, "30s");
        for (int i = 0; i < 19; i++) {
            delay.record(millis(10));
            assertEquals(HedgeDelay.NO_HEDGE, delay.delayNanos());
        }
        delay.record(millis(10));
        assertEquals(millis(10), delay.delayNanos());
    }

    @Test
    void percentileOfAKnownDistribution() {
        HedgeDelay delay = percentile("p95", 20, "30s");
        // 1..1000 ms in a shuffled order: p95 is 950 ms, p99 would be 990 ms.
        int[] values = new int[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i + 1;
        }
        Random random = new Random(7);
        for (int i = values.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
        for (int v : values) {
            delay.record(millis(v));
        }
        time.advanceMillis(1_000);
        assertEquals(millis(950), delay.delayNanos());
    }

    @Test
    void aHighPercentileOfAThousandSamplesIsNotTheMaximum() {
        HedgeDelay delay = percentile("p99.9", 20, "30s");
        for (int v = 1; v <= 1000; v++) {
            delay.record(millis(v));
        }
        assertEquals(millis(999), delay.delayNanos());
    }

    @Test
    void theWindowRollsOldSamplesOut() {
        HedgeDelay delay = percentile("p50", 10, "10s");
        for (int i = 0; i < 50; i++) {
            delay.record(millis(100));
        }
        time.advanceMillis(1_000);
        assertEquals(millis(100), delay.delayNanos());
        time.advanceMillis(6_000);
        for (int i = 0; i < 50; i++) {
            delay.record(millis(20));
        }
        time.advanceMillis(1_000);
        // Both sets are in the window: the median sits on the boundary between them.
        assertEquals(millis(20), delay.delayNanos());
        time.advanceMillis(2_500);
        // The 100 ms samples are now older than the 10 s window.
        assertEquals(millis(20), delay.delayNanos());
        time.advanceMillis(7_000);
        // Everything has expired: too few samples, no hedging.
        assertEquals(HedgeDelay.NO_HEDGE, delay.delayNanos());
    }

    @Test
    void theDelayIsRecomputedPeriodicallyNotOnEveryCall() {
        HedgeDelay delay = percentile("p50", 5, "30s");
        for (int i = 0; i < 10; i++) {
            delay.record(millis(10));
        }
        assertEquals(millis(10), delay.delayNanos());
        for (int i = 0; i < 100; i++) {
            delay.record(millis(500));
        }
        assertEquals(millis(10), delay.delayNanos());
        time.advanceMillis(1_001);
        assertEquals(millis(500), delay.delayNanos());
    }

    @Test
    void theDelayIsClampedToTheFloorAndTheCap() {
        HedgeConfig config = TestConfigs.policy("tailguard.policy.p.hosts=a",
                "tailguard.policy.p.hedge.delay=p99",
                "tailguard.policy.p.hedge.min-samples=1",
                "tailguard.policy.p.hedge.min-delay=5ms",
                "tailguard.policy.p.hedge.max-delay=200ms").hedge();
        HedgeDelay fast = new HedgeDelay(config, time);
        fast.record(300_000L);
        assertEquals(millis(5), fast.delayNanos());
        HedgeDelay slow = new HedgeDelay(config, time);
        slow.record(millis(5_000));
        assertEquals(millis(200), slow.delayNanos());
    }

    @Test
    void aFixedDelayNeedsNoSamples() {
        HedgeConfig config = TestConfigs.policy("tailguard.policy.p.hosts=a",
                "tailguard.policy.p.hedge.delay=75ms").hedge();
        assertEquals(millis(75), new HedgeDelay(config, time).delayNanos());
    }

    private static long millis(long ms) {
        return ms * 1_000_000L;
    }
}
