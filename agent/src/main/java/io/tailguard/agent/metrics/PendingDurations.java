package io.tailguard.agent.metrics;

/**
 * Durations of requests that finished while Micrometer was still loading in the background. They
 * are handed to the timers once, in order, when those exist; a request that races with the
 * hand-over is forwarded under the same lock, so each duration is recorded exactly once. Bounded:
 * an application that finishes more than {@link #CAPACITY} requests of one policy before the
 * timers exist loses the durations beyond that (never the counts).
 */
final class PendingDurations implements DurationSink {

    static final int CAPACITY = 16_384;

    private long[] nanos = new long[16];
    private byte[] outcomes = new byte[16];
    private int size;
    private DurationSink target;

    @Override
    public synchronized void record(int outcome, long duration) {
        if (target != null) {
            target.record(outcome, duration);
            return;
        }
        if (size == CAPACITY) {
            return;
        }
        if (size == nanos.length) {
            nanos = java.util.Arrays.copyOf(nanos, size * 2);
            outcomes = java.util.Arrays.copyOf(outcomes, size * 2);
        }
        nanos[size] = duration;
        outcomes[size] = (byte) outcome;
        size++;
    }

    /** Records everything buffered into {@code sink}, and forwards anything that still arrives here. */
    synchronized void drainTo(DurationSink sink) {
        for (int i = 0; i < size; i++) {
            sink.record(outcomes[i], nanos[i]);
        }
        nanos = null;
        outcomes = null;
        size = 0;
        target = sink;
    }
}
