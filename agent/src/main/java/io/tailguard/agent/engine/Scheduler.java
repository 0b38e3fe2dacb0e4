package io.tailguard.agent.engine;

/** Runs a task after a delay; injected so that tests can fire timers without sleeping. */
public interface Scheduler {

    /** Must not run {@code task} on the calling thread before returning. */
    Cancellable schedule(Runnable task, long delayNanos);

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
