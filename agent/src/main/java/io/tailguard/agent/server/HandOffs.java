package io.tailguard.agent.server;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * When each of a container's tasks was last handed to its executor, until a worker thread starts it:
 * what a container hook needs to tell {@link QueueWait} how long the task waited. Containers reuse
 * their task objects, and a task may never start (an executor that refuses it), so the tasks are
 * held weakly, one slot each, rewritten at every hand-off: the table holds no more entries than
 * the container keeps tasks alive, and no task's object is kept alive by it. Striped by the task's
 * identity, so that the poller handing off and the workers starting tasks rarely meet on one lock.
 * Tasks are told apart by identity: their classes must not override {@code equals} (Tomcat's socket
 * processors do not).
 */
public final class HandOffs {

    private static final int STRIPES = 16;
    private static final long NONE = Long.MIN_VALUE;

    @SuppressWarnings("unchecked")
    private final Map<Object, long[]>[] stripes = new Map[STRIPES];

    public HandOffs() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new WeakHashMap<>();
        }
    }

    /** {@code task} is handed to the container's executor now. */
    public void handedOff(Object task) {
        long now = System.nanoTime();
        Map<Object, long[]> stripe = stripe(task);
        synchronized (stripe) {
            long[] at = stripe.get(task);
            if (at == null) {
                stripe.put(task, new long[] {now});
            } else {
                at[0] = now;
            }
        }
    }

    /**
     * {@code task} starts now on this thread: tells {@link QueueWait} how long it waited since its
     * hand-off, or that nobody knows when its hand-off was not seen.
     */
    public void started(Object task) {
        long now = System.nanoTime();
        long handedOff = NONE;
        Map<Object, long[]> stripe = stripe(task);
        synchronized (stripe) {
            long[] at = stripe.get(task);
            if (at != null) {
                handedOff = at[0];
                at[0] = NONE;
            }
        }
        if (handedOff == NONE) {
            QueueWait.take();
        } else {
            QueueWait.dequeued(now - handedOff);
        }
    }

    /** How many tasks the table holds a slot for (tests). */
    int size() {
        int size = 0;
        for (Map<Object, long[]> stripe : stripes) {
            synchronized (stripe) {
                size += stripe.size();
            }
        }
        return size;
    }

    private Map<Object, long[]> stripe(Object task) {
        int hash = System.identityHashCode(task);
        return stripes[(hash ^ (hash >>> 16)) & (STRIPES - 1)];
    }
}
