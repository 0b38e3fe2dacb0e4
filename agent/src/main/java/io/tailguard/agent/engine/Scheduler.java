package io.tailguard.agent.engine;

/** Runs a task after a delay; injected so that tests can fire timers without sleeping. */
public interface Scheduler {

    /** Must not run {@code task} on the calling thread before returning. */
    Cancellable schedule(Runnable task, long delayNanos);

    /** Whether the calling thread is one of this scheduler's own, which must never block. */
    default boolean isSchedulerThread() {
        return false;
    }

    /** Something that was started and can be stopped; stopping twice is harmless. */
    interface Cancellable {
        Cancellable NONE = new Cancellable() {
            @Override
            public void cancel() {
            }
        };

        void cancel();
    }
}
