package io.tailguard.agent.server;

/**
 * How long the request a container thread is about to serve waited in the container's queue
 * before that thread took it up. A container hook that sees the hand-off (a task queued to the
 * container's executor, then started by one of its threads) calls {@link #dequeued(long)} on the
 * thread that will run the request; the adapter of that request reads it once with
 * {@link #take()}, so a second request served by the same task (keep-alive) does not inherit it.
 */
public final class QueueWait {

    /** What {@link #take()} answers when no hook said how long the request waited. */
    public static final long UNKNOWN = -1;

    private static final ThreadLocal<long[]> WAITED = ThreadLocal.withInitial(() -> new long[] {UNKNOWN});

    private QueueWait() {
    }

    /** The task this thread starts now waited this long in its container's queue. */
    public static void dequeued(long waitedNanos) {
        WAITED.get()[0] = Math.max(0, waitedNanos);
    }

    /** How long this thread's request waited in the queue, or {@link #UNKNOWN}; forgets it. */
    public static long take() {
        long[] waited = WAITED.get();
        long nanos = waited[0];
        waited[0] = UNKNOWN;
        return nanos;
    }
}
