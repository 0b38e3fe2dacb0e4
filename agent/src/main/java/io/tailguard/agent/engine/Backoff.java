package io.tailguard.agent.engine;

import io.tailguard.agent.config.PolicyConfig;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exponential backoff with full jitter: the n-th retry waits a uniformly random time between 0
 * and {@code min(max, base × 2^(n-1))}. When adaptive, the base moves with the policy's recent
 * success rate (an exponential moving average over attempts): {@code initial × (max / initial)^f},
 * where {@code f} is the recent failure rate, so the base climbs towards {@code max} while a
 * dependency keeps failing and relaxes back to {@code initial} as it recovers.
 */
public final class Backoff {

    /** Weight of the newest attempt in the moving average. */
    static final double ALPHA = 0.1;

    private final long initialNanos;
    private final long maxNanos;
    private final boolean adaptive;
    /** The moving average of success (1) and failure (0), as double bits. */
    private final AtomicLong successRate = new AtomicLong(Double.doubleToLongBits(1.0));

    public Backoff(PolicyConfig policy) {
        this.initialNanos = policy.backoffInitial().toNanos();
        this.maxNanos = policy.backoffMax().toNanos();
        this.adaptive = policy.backoffAdaptive();
    }

    boolean sameSettings(PolicyConfig policy) {
        return initialNanos == policy.backoffInitial().toNanos() && maxNanos == policy.backoffMax().toNanos()
                && adaptive == policy.backoffAdaptive();
    }

    /** An attempt of this policy ended: {@code true} for a usable response. */
    public void record(boolean success) {
        if (!adaptive) {
            return;
        }
        long bits;
        long next;
        do {
            bits = successRate.get();
            double rate = Double.longBitsToDouble(bits);
            next = Double.doubleToLongBits(rate + ALPHA * ((success ? 1.0 : 0.0) - rate));
            if (next == bits) {
                // A healthy policy's rate stays at 1.0 success after success: no write, so the
                // threads completing its requests do not take turns owning this cache line.
                return;
            }
        } while (!successRate.compareAndSet(bits, next));
    }

    /** The recent success rate, 0..1. */
    public double successRate() {
        return Double.longBitsToDouble(successRate.get());
    }

    /** The base delay as it stands now. */
    public long baseNanos() {
        if (!adaptive || initialNanos <= 0 || maxNanos <= initialNanos) {
            return initialNanos;
        }
        double failure = 1.0 - successRate();
        return (long) (initialNanos * Math.pow((double) maxNanos / initialNanos, failure));
    }

    /** How long to wait before retry number {@code retry} (1 for the first retry). */
    public long delayNanos(int retry, RandomSource random) {
        long ceiling = baseNanos();
        for (int i = 1; i < retry && ceiling < maxNanos; i++) {
            ceiling *= 2;
        }
        ceiling = Math.min(ceiling, maxNanos);
        return ceiling <= 0 ? 0 : random.nextLong(ceiling + 1);
    }
}
