package io.tailguard.agent.config;

/**
 * How much of retryable responses' bodies may be held in memory while the engine decides whether
 * they are the final answer: per attempt ({@code tailguard.buffer.max-response-bytes}) and for the
 * whole JVM ({@code tailguard.buffer.max-total-bytes}).
 */
public final class BufferLimits {

    private final long maxResponseBytes;
    private final long maxTotalBytes;

    BufferLimits(long maxResponseBytes, long maxTotalBytes) {
        this.maxResponseBytes = maxResponseBytes;
        this.maxTotalBytes = maxTotalBytes;
    }

    public long maxResponseBytes() {
        return maxResponseBytes;
    }

    public long maxTotalBytes() {
        return maxTotalBytes;
    }
}
