package io.tailguard.agent.engine;

import java.util.concurrent.Future;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets a blocking call run its attempts on the application's own thread, so that thread-locals
 * (MDC, security context, a tracing span) are intact for the client's interceptors exactly as
 * without the agent. While the application's thread waits for the logical request, an attempt
 * handed here runs on it; while that thread is busy with an attempt (a hedge is due), the offer is
 * refused and the engine uses a worker instead.
 */
final class CallerRuns {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Guarded by lock. The caller starts out available: the primary is offered before it waits. */
    private boolean available = true;
    private Runnable pending;

    /**
     * @param afterCurrent whether {@code task} may wait for the task the caller's thread is running
     *     to return: true for a retry (the attempt before it has ended, and its thread is on its way
     *     back, so a short backoff must not send the retry to a worker), false for a hedge (the
     *     attempt it joins holds the caller's thread until it ends)
     * @return {@code false} when the caller's thread cannot take {@code task}
     */
    boolean offer(Runnable task, boolean afterCurrent) {
        lock.lock();
        try {
            if (!available && !afterCurrent || pending != null) {
                return false;
            }
            pending = task;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Runs the task offered but not taken, if any, on the calling thread. */
    void runPending() {
        Runnable task;
        lock.lock();
        try {
            task = pending;
            pending = null;
        } finally {
            lock.unlock();
        }
        if (task != null) {
            task.run();
        }
    }

    /** Wakes {@link #runUntilDone} to see that the request has ended. */
    void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs offered tasks on the calling thread until {@code done} completes. A task offered while
     * the request was ending still runs (its attempt then sees the request cancelled).
     */
    void runUntilDone(Future<?> done) throws InterruptedException {
        while (true) {
            Runnable task;
            lock.lock();
            try {
                while (pending == null && !done.isDone()) {
                    changed.await();
                }
                task = pending;
                pending = null;
                available = false;
                if (task == null) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            try {
                task.run();
            } finally {
                lock.lock();
                try {
                    available = true;
                } finally {
                    lock.unlock();
                }
            }
        }
    }
}
