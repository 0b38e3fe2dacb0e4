package io.tailguard.agent.engine;

/** Runs a task after a delay; injected so that tests can fire timers without sleeping. */
public interface Scheduler {

    /** Must not run {@code task} on the calling thread before returning. */
    Cancellable schedule(Runnable task, long delayNanos);

    /**
     * Arms {@code timer} to fall due after {@code delayNanos}; arming it again while it is armed
     * moves it. The timer is its own task and its own place among the armed ones, so that a timer
     * armed for nearly every request (the hedge delay) makes no object. A scheduler that cannot
     * disarm what it holds (one that never fires) keeps the default; one that fires must override
     * this and {@link #disarm} together.
     */
    default void arm(Timer timer, long delayNanos) {
        schedule(timer::due, delayNanos);
    }

    /** Disarms a timer armed with {@link #arm}; harmless when it is not armed. */
    default void disarm(Timer timer) {
    }

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

    /**
     * A timer that an object is itself (see {@link #arm}): it holds nothing but its place in the
     * {@link TimerScheduler}'s heap.
     */
    abstract class Timer {
        /**
         * Where it is in a {@link TimerScheduler}'s heap; -1 when it is not armed there. Guarded by
         * that scheduler's lock.
         */
        int index = -1;

        /** Runs on the scheduler's thread when the timer falls due. */
        abstract void due();
    }
}
