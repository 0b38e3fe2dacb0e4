package io.tailguard.agent.engine;

import io.tailguard.agent.config.BudgetConfig;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A token bucket shared by every request of the JVM (or of one policy): each primary attempt
 * deposits {@code ratio} tokens, each retry or hedge withdraws one, and both expire after
 * {@code ttl}; a reserve of {@code minPerSecond × ttl} tokens lets a quiet client still retry.
 * Over any window of {@code ttl}, extra attempts therefore stay below
 * {@code ratio × primaries + minPerSecond × ttl}, however many threads send. This is Finagle's
 * {@code RetryBudget} (and Linkerd's), with the window kept in ten slices.
 *
 * <p>Deposits are lock-free (they sit on every request's path); a withdrawal takes a short lock so
 * that concurrent withdrawals can never overdraw. Expiry is exact to one slice ({@code ttl / 10}).
 */
public final class RetryBudget {

    private static final int SLICES = 10;
    private static final long UNIT = 1_000;

    private final BudgetConfig config;
    private final Clock clock;
    private final long sliceNanos;
    private final long depositUnits;
    private final long reserveUnits;
    private final LongAdder[] deposits = new LongAdder[SLICES];
    /** Guarded by {@code this}. */
    private final long[] withdrawals = new long[SLICES];
    private final AtomicLongArray epochs = new AtomicLongArray(SLICES);

    public RetryBudget(BudgetConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.sliceNanos = Math.max(1, config.ttl().toNanos() / SLICES);
        this.depositUnits = Math.round(config.ratio() * UNIT);
        this.reserveUnits = Math.round(config.minPerSecond() * config.ttl().toMillis() / 1000.0 * UNIT);
        long epoch = epoch();
        for (int i = 0; i < SLICES; i++) {
            deposits[i] = new LongAdder();
            epochs.set(i, epoch - SLICES);
        }
    }

    public BudgetConfig config() {
        return config;
    }

    /**
     * A primary attempt was sent at {@code nowNanos}, read from this budget's clock by the caller
     * (the request's own start, so that a request reads the clock once for both).
     */
    public void deposit(long nowNanos) {
        if (depositUnits > 0) {
            deposits[slot(epochAt(nowNanos))].add(depositUnits);
        }
    }

    /** Takes one token for a retry or hedge; {@code false} (never blocking) when none is left. */
    public synchronized boolean tryWithdraw() {
        long now = epoch();
        int current = slot(now);
        if (available(now) < UNIT) {
            return false;
        }
        withdrawals[current] += UNIT;
        return true;
    }

    /**
     * Gives back the token of a retry or hedge that never left ({@link FailureKind#NOT_SENT}): it
     * added nothing to the server's load. It expires with the slice it is given back in, at most one
     * slice after the one it was taken from.
     */
    public synchronized void refund() {
        long now = epoch();
        withdrawals[slot(now)] -= UNIT;
    }

    /** Tokens that a retry or hedge could take now (fractional: deposits are fractions). */
    public synchronized double balance() {
        long now = epoch();
        slot(now);
        return available(now) / (double) UNIT;
    }

    /** Guarded by {@code this}. */
    private long available(long now) {
        long sum = reserveUnits;
        for (int i = 0; i < SLICES; i++) {
            if (epochs.get(i) > now - SLICES) {
                sum += deposits[i].sum() - withdrawals[i];
            }
        }
        return sum;
    }

    private long epoch() {
        return epochAt(clock.nanoTime());
    }

    private long epochAt(long nanos) {
        return Math.floorDiv(nanos, sliceNanos);
    }

    /** The slot for {@code epoch}, cleared first if it still holds an expired slice. */
    private int slot(long epoch) {
        int slot = (int) Math.floorMod(epoch, (long) SLICES);
        if (epochs.get(slot) != epoch) {
            synchronized (this) {
                if (epochs.get(slot) < epoch) {
                    deposits[slot].reset();
                    withdrawals[slot] = 0;
                    epochs.set(slot, epoch);
                }
            }
        }
        return slot;
    }
}
