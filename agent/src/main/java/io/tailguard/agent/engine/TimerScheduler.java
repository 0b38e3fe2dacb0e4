package io.tailguard.agent.engine;

import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The production {@link Scheduler}: one daemon thread for hedge delays, backoffs and attempt
 * timeouts. Its tasks only start or cancel attempts; anything that could block runs elsewhere.
 * Cancelled timers are removed at once so that a million finished requests leave nothing behind.
 *
 * <p>Most timers are cancelled microseconds after they are armed (a hedge delay when the response
 * beats it). Arming a timer that becomes the earliest in the queue wakes the timer thread so that
 * it can wait for the new deadline instead: a wake-up and a context switch per request when the
 * queue is otherwise empty. So while timers are being armed, a no-op tick is kept in the queue every
 * 10 ms; a timer due later than the next tick does not become the earliest and arms without waking
 * anyone. The tick stops at the first tick with no timer armed since the one before: at fewer than
 * 100 requests a second it costs at most one extra wake-up per request, above that it saves one per
 * request, and an idle application has a quiet thread.
 */
public final class TimerScheduler implements Scheduler {

    private static final String THREAD_NAME = "tailguard-timer";
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ScheduledThreadPoolExecutor executor;
    private final long tickNanos;
    private final AtomicBoolean ticking = new AtomicBoolean();
    private final Runnable tick = this::tick;
    /** A timer was armed since the last tick. */
    private volatile boolean armed;

    public TimerScheduler() {
        this(TICK_NANOS);
    }

    TimerScheduler(long tickNanos) {
        this.tickNanos = tickNanos;
        executor = new ScheduledThreadPoolExecutor(1, DaemonThreads.named(THREAD_NAME));
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        if (!armed) {
            armed = true;
        }
        if (!ticking.get() && ticking.compareAndSet(false, true)) {
            executor.schedule(tick, tickNanos, TimeUnit.NANOSECONDS);
        }
        Timer timer = new Timer(task);
        timer.future = executor.schedule(timer, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        return timer;
    }

    private void tick() {
        if (!armed) {
            ticking.set(false);
            // A timer armed between the check above and the reset saw the tick running and did not
            // start one: look once more.
            if (!armed || !ticking.compareAndSet(false, true)) {
                return;
            }
        }
        armed = false;
        executor.schedule(tick, tickNanos, TimeUnit.NANOSECONDS);
    }

    /** Whether the tick is running (for tests). */
    boolean ticking() {
        return ticking.get();
    }

    @Override
    public boolean isSchedulerThread() {
        return Thread.currentThread().getName().equals(THREAD_NAME);
    }

    public void shutdown() {
        executor.shutdownNow();
    }

    /**
     * An armed timer: scheduled as a {@code Callable}, which the executor's task holds as it is,
     * where a {@code Runnable} would be wrapped in an adapter; and the handle that cancels it, so
     * that arming a timer (on every hedged request) makes one object of ours, not two.
     */
    private static final class Timer implements Callable<Void>, Cancellable {
        private final Runnable task;
        /** Set before the timer is handed to whoever may cancel it. */
        ScheduledFuture<?> future;

        Timer(Runnable task) {
            this.task = task;
        }

        @Override
        public Void call() {
            task.run();
            return null;
        }

        @Override
        public void cancel() {
            future.cancel(false);
        }
    }
}
