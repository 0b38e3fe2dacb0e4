package io.tailguard.agent.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** A clock and a scheduler that move only when a test says so. */
final class ManualTime implements Clock, Scheduler {

    private long nanos = 1_000_000_000L;
    private long wallMillis = 1_700_000_000_000L;
    private long sequence;
    private final List<Task> tasks = new ArrayList<>();
    /** The timers armed with {@link #arm}, and how each is cancelled. */
    private final Map<Timer, Cancellable> armed = new IdentityHashMap<>();

    @Override
    public synchronized long nanoTime() {
        return nanos;
    }

    @Override
    public synchronized long currentTimeMillis() {
        return wallMillis;
    }

    @Override
    public synchronized Cancellable schedule(Runnable task, long delayNanos) {
        Task t = new Task(nanos + Math.max(0, delayNanos), sequence++, task);
        tasks.add(t);
        return () -> {
            synchronized (ManualTime.this) {
                tasks.remove(t);
            }
        };
    }

    @Override
    public synchronized void arm(Timer timer, long delayNanos) {
        disarm(timer);
        armed.put(timer, schedule(() -> {
            synchronized (ManualTime.this) {
                armed.remove(timer);
            }
            timer.due();
        }, delayNanos));
    }

    @Override
    public synchronized void disarm(Timer timer) {
        Cancellable handle = armed.remove(timer);
        if (handle != null) {
            handle.cancel();
        }
    }

    /** Moves time forward, running every task that falls due on the way, in order. */
    void advanceMillis(long millis) {
        advanceNanos(millis * 1_000_000L);
    }

    void advanceNanos(long delta) {
        long target;
        synchronized (this) {
            target = nanos + delta;
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.stream().filter(t -> t.due <= target)
                        .min(Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.seq)).orElse(null);
                if (next == null) {
                    wallMillis += (target - nanos) / 1_000_000L;
                    nanos = target;
                    return;
                }
                tasks.remove(next);
                wallMillis += (next.due - nanos) / 1_000_000L;
                nanos = next.due;
            }
            next.task.run();
        }
    }

    synchronized int pendingTasks() {
        return tasks.size();
    }

    private static final class Task {
        final long due;
        final long seq;
        final Runnable task;

        Task(long due, long seq, Runnable task) {
            this.due = due;
            this.seq = seq;
            this.task = task;
        }
    }
}
