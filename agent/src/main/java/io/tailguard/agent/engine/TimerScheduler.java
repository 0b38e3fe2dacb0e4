package io.tailguard.agent.engine;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link Scheduler}: one daemon thread for hedge delays, backoffs and attempt
 * timeouts. Its tasks only start or cancel attempts; anything that could block runs elsewhere.
 * Cancelled timers are removed at once so that a million finished requests leave nothing behind.
 */
public final class TimerScheduler implements Scheduler {

    private static final String THREAD_NAME = "tailguard-timer";

    private final ScheduledThreadPoolExecutor executor;

    public TimerScheduler() {
        executor = new ScheduledThreadPoolExecutor(1, DaemonThreads.named(THREAD_NAME));
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        return new Timer(executor.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean isSchedulerThread() {
        return Thread.currentThread().getName().equals(THREAD_NAME);
    }

    public void shutdown() {
        executor.shutdownNow();
    }

    private static final class Timer implements Cancellable {
        private final ScheduledFuture<?> future;

        Timer(ScheduledFuture<?> future) {
            this.future = future;
        }

        @Override
        public void cancel() {
            future.cancel(false);
        }
    }
}
