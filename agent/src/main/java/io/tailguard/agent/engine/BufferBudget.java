package io.tailguard.agent.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of retryable responses held in memory across the whole JVM, against
 * {@code tailguard.buffer.max-total-bytes}. A response that may still be retried is held in case it
 * becomes the final answer; without a limit a few large error bodies at once could take the heap.
 * Attempts reserve before they hold bytes and the engine releases what an attempt reserved as soon
 * as it lets go of them (see {@link Execution}); one instance lives as long as the engine, across
 * reloads, so that what is held is never forgotten when the limit changes.
 */
public final class BufferBudget {

    private final AtomicLong held = new AtomicLong();
    private volatile long maxTotal;

    BufferBudget(long maxTotal) {
        this.maxTotal = maxTotal;
    }

    void maxTotal(long bytes) {
        maxTotal = bytes;
    }

    /** @return whether {@code bytes} more may be held; if so they are counted as held */
    boolean tryReserve(long bytes) {
        while (true) {
            long now = held.get();
            long next = now + bytes;
            if (next > maxTotal || next < 0) {
                return false;
            }
            if (held.compareAndSet(now, next)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        if (bytes > 0) {
            held.addAndGet(-bytes);
        }
    }

    /** Whether {@code bytes} could be held now (a response's announced length, checked at its headers). */
    boolean fits(long bytes) {
        return bytes <= maxTotal - held.get();
    }

    /** Bytes held now, JVM-wide. */
    public long held() {
        return held.get();
    }
}
