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

    /** @return {@code false} when the caller's thread is busy and cannot take {@code task} */
    boolean offer(Runnable task) {
        lock.lock();
        try {
            if (!available || pending != null) {
                return false;
            }
            pending = task;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
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

    /** Runs offered tasks on the calling thread until {@code done} completes. */
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
