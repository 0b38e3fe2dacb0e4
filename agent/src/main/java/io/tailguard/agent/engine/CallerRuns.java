package io.tailguard.agent.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

/**
 * Lets a blocking call run its attempts on the application's own thread, so that thread-locals
 * (MDC, security context, a tracing span) are intact for the client's interceptors exactly as
 * without the agent. While the application's thread waits for the logical request, an attempt
 * handed here runs on it; while that thread is busy with an attempt (a hedge is due), the offer is
 * refused and the engine uses a worker instead.
 *
 * <p>One of these exists per blocking call, so it allocates nothing of its own, and it is the
 * call's result itself (a {@code CompletableFuture}, which uses no monitor of its own): its monitor guards
 * the state (held only for a few field accesses, never while waiting, so a virtual thread is
 * never pinned), and the waiting thread parks, which is how a {@code Condition} waits too.
 */
final class CallerRuns<T> extends CompletableFuture<T> {

    // Guarded by this. The caller starts out available: the primary is offered before it waits.
    private boolean available = true;
    private Runnable pending;
    /** The thread parked in {@link #runUntilDone}, or {@code null}. */
    private Thread waiter;

    /**
     * @param afterCurrent whether {@code task} may wait for the task the caller's thread is running
     *     to return: true for a retry (the attempt before it has ended, and its thread is on its way
     *     back, so a short backoff must not send the retry to a worker), false for a hedge (the
     *     attempt it joins holds the caller's thread until it ends)
     * @return {@code false} when the caller's thread cannot take {@code task}
     */
    boolean offer(Runnable task, boolean afterCurrent) {
        Thread parked;
        synchronized (this) {
            if (!available && !afterCurrent || pending != null) {
                return false;
            }
            pending = task;
            parked = waiter;
        }
        LockSupport.unpark(parked);
        return true;
    }

    /** Runs the task offered but not taken, if any, on the calling thread. */
    void runPending() {
        Runnable task;
        synchronized (this) {
            task = pending;
            pending = null;
        }
        if (task != null) {
            task.run();
        }
    }

    /** Wakes {@link #runUntilDone} to see that the request has ended. */
    void wake() {
        Thread parked;
        synchronized (this) {
            parked = waiter;
        }
        LockSupport.unpark(parked);
    }

    /**
     * Runs offered tasks on the calling thread until {@code done} completes. A task offered while
     * the request was ending still runs (its attempt then sees the request cancelled).
     */
    void runUntilDone(Future<?> done) throws InterruptedException {
        while (true) {
            Runnable task = next(done);
            if (task == null) {
                return;
            }
            try {
                task.run();
            } finally {
                synchronized (this) {
                    available = true;
                }
            }
        }
    }

    /** Waits for a task or the end of the request; {@code null} at the end. */
    private Runnable next(Future<?> done) throws InterruptedException {
        while (true) {
            synchronized (this) {
                if (pending != null || done.isDone()) {
                    Runnable task = pending;
                    pending = null;
                    available = false;
                    waiter = null;
                    return task;
                }
                waiter = Thread.currentThread();
            }
            // The waiter is set before parking and read by offer and wake under the monitor: an
            // unpark that comes before the park is kept as a permit, so no wake-up is lost. An
            // interrupt ends the wait at once, as Condition.await does.
            if (!Thread.interrupted()) {
                LockSupport.park(this);
                if (!Thread.interrupted()) {
                    continue;
                }
            }
            synchronized (this) {
                waiter = null;
            }
            throw new InterruptedException();
        }
    }
}
