package io.tailguard.agent.engine;

import io.tailguard.agent.config.HedgeConfig;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How long to wait for a response before sending a hedge. Either a fixed delay, or a percentile
 * of the policy's recent successful attempt latencies (Finagle's backup requests): samples older
 * than the window drop out, the percentile is recomputed at most every {@code window / 10} (and
 * at most every second), and until the window holds {@code minSamples} samples there is no delay
 * at all, which means no hedge. The result is clamped to the configured floor and cap.
 *
 * <p>Only successful latencies are recorded, so that fast failures cannot drag the delay down and
 * turn every request into two.
 */
public final class HedgeDelay {

    /** Returned by {@link #delayNanos()} while there are too few samples to hedge. */
    public static final long NO_HEDGE = -1;

    private static final int CAPACITY = 2048;

    private final HedgeConfig config;
    private final Clock clock;
    private final long windowNanos;
    private final long recomputeNanos;
    private final long minNanos;
    private final long maxNanos;
    private final AtomicLongArray times = new AtomicLongArray(CAPACITY);
    private final AtomicLongArray latencies = new AtomicLongArray(CAPACITY);
    private final AtomicLong recorded = new AtomicLong();
    private final AtomicBoolean computing = new AtomicBoolean();
    private volatile long computedAt;
    private volatile long recordedAtCompute = -1;
    private volatile long delay = NO_HEDGE;

    public HedgeDelay(HedgeConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.windowNanos = config.window().toNanos();
        this.recomputeNanos = Math.min(1_000_000_000L, windowNanos / 10);
        this.minNanos = config.minDelay().toNanos();
        this.maxNanos = config.maxDelay().toNanos();
        if (!config.isAdaptive()) {
            delay = config.delay().toNanos();
        }
    }

    public HedgeConfig config() {
        return config;
    }

    /** A successful attempt took {@code latencyNanos}. */
    public void record(long latencyNanos) {
        if (!config.isAdaptive()) {
            return;
        }
        int i = (int) (recorded.getAndIncrement() & (CAPACITY - 1));
        latencies.set(i, latencyNanos);
        times.set(i, clock.nanoTime());
    }

    /** The delay before a hedge in nanoseconds, or {@link #NO_HEDGE}. */
    public long delayNanos() {
        if (!config.isAdaptive()) {
            return delay;
        }
        long now = clock.nanoTime();
        long current = delay;
        boolean stale = now - computedAt >= recomputeNanos || recordedAtCompute < 0;
        boolean warmingUp = current == NO_HEDGE && recorded.get() != recordedAtCompute;
        if ((stale || warmingUp) && computing.compareAndSet(false, true)) {
            try {
                current = compute(now);
                delay = current;
            } finally {
                computing.set(false);
            }
        }
        return current;
    }

    private long compute(long now) {
        long total = recorded.get();
        recordedAtCompute = total;
        computedAt = now;
        int n = (int) Math.min(total, CAPACITY);
        long[] window = new long[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (now - times.get(i) <= windowNanos) {
                window[count++] = latencies.get(i);
            }
        }
        if (count < config.minSamples()) {
            return NO_HEDGE;
        }
        Arrays.sort(window, 0, count);
        // Nearest rank; the epsilon keeps 99.9% of 1,000 at rank 999, not 1,000 (0.999 is not exact).
        int rank = (int) Math.ceil(config.percentile() * count / 100.0 - 1e-9) - 1;
        long value = window[Math.max(0, Math.min(count - 1, rank))];
        return Math.max(minNanos, Math.min(maxNanos, value));
    }
}
