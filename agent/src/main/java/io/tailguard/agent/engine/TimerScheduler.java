package io.tailguard.agent.engine;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The production {@link Scheduler}: one daemon thread for hedge delays, backoffs and attempt
 * timeouts. Its tasks only start or cancel attempts; anything that could block runs elsewhere.
 *
 * <p>Most timers are cancelled microseconds after they are armed (a hedge delay when the response
 * beats it), so arming and cancelling are what must be cheap. The timers are a binary heap of
 * {@link Timer}s, each of which knows its place in it, with their deadlines in an array beside
 * it: a timer that an object is itself ({@link #arm}, the hedge delay) makes no object at all, and
 * a task scheduled makes one 24-byte object (a {@code ScheduledThreadPoolExecutor} made its task
 * and a handle besides). Cancelling one takes it out of the heap at once, so that a million
 * finished requests leave nothing behind.
 *
 * <p>Arming a timer that becomes the earliest would wake the timer thread so that it can wait for
 * the new deadline instead: a wake-up and a context switch per request when the heap is otherwise
 * empty. So while timers are being armed, the thread wakes by itself every 10 ms (the tick), and a
 * timer due later than that wakes no one. The tick stops at the first one with no timer armed since
 * the one before: at fewer than 100 requests a second it costs at most one extra wake-up per
 * request, above that it saves one per request, and an idle application has a quiet thread.
 */
public final class TimerScheduler implements Scheduler {

    private static final String THREAD_NAME = "tailguard-timer";
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * Longer delays (a request with no deadline) wait this long: some 73 years, which keeps any
     * two deadlines within half the range of {@code long}, where comparing them by their
     * difference holds.
     */
    private static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;

    private final long tickNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();

    // Guarded by lock.
    private Timer[] heap = new Timer[16];
    /** {@code deadlines[i]}: when {@code heap[i]} falls due ({@link System#nanoTime()}). */
    private long[] deadlines = new long[16];
    private int size;
    /** Read without the lock by {@link #isSchedulerThread}, which only the thread itself can find equal. */
    private volatile Thread thread;
    private boolean shutdown;
    /** The timer thread waits in {@link #wake}. */
    private boolean waiting;
    /** While it waits: until when ({@link System#nanoTime()}), unless it waits for a signal alone. */
    private long wakeAt;
    private boolean waitsForSignal;
    /** A timer was armed since the thread last went to wait: it then wakes at the next tick. */
    private boolean armedSinceWait;
    /** The thread's current wait ends at a tick (for tests). */
    private boolean ticking;
    /** How often the thread has been woken by an arming thread (for tests). */
    private long signals;

    public TimerScheduler() {
        this(TICK_NANOS);
    }

    TimerScheduler(long tickNanos) {
        this.tickNanos = tickNanos;
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        TaskTimer timer = new TaskTimer(this, task);
        arm(timer, delayNanos);
        return timer;
    }

    @Override
    public void arm(Timer timer, long delayNanos) {
        long deadline = System.nanoTime() + Math.min(Math.max(0, delayNanos), MAX_DELAY_NANOS);
        lock.lock();
        try {
            if (shutdown) {
                throw new RejectedExecutionException("the timer thread has stopped");
            }
            if (timer.index >= 0) {
                removeAt(timer.index);
            }
            add(timer, deadline);
            armedSinceWait = true;
            if (thread == null) {
                Thread started = DaemonThreads.named(THREAD_NAME).newThread(this::run);
                started.start();
                thread = started;
            } else if (waiting && timer.index == 0 && (waitsForSignal || deadline - wakeAt < 0)) {
                signals++;
                wake.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Takes a timer out of the heap, if it is still there. */
    @Override
    public void disarm(Timer timer) {
        lock.lock();
        try {
            if (timer.index >= 0) {
                removeAt(timer.index);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The timer thread: runs each timer when it falls due, earliest first. Should it ever end
     * otherwise than by {@link #shutdown} (an error while it waits), the next timer armed starts
     * another.
     */
    private void run() {
        try {
            while (true) {
                Timer due = next();
                if (due == null) {
                    return;
                }
                try {
                    due.due();
                } catch (Throwable ignored) {
                    // A task's failure is its own (the engine's report theirs): the timers after it still run.
                }
            }
        } finally {
            lock.lock();
            try {
                if (thread == Thread.currentThread()) {
                    thread = null;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits for the earliest timer to fall due and takes it out; {@code null} once shut down. */
    private Timer next() {
        lock.lock();
        try {
            while (!shutdown) {
                long now = System.nanoTime();
                if (size > 0 && deadlines[0] - now <= 0) {
                    Timer due = heap[0];
                    removeAt(0);
                    return due;
                }
                ticking = armedSinceWait;
                armedSinceWait = false;
                long wait = size > 0 ? deadlines[0] - now : Long.MAX_VALUE;
                if (ticking) {
                    wait = Math.min(wait, tickNanos);
                }
                waitsForSignal = wait == Long.MAX_VALUE;
                wakeAt = now + wait;
                waiting = true;
                try {
                    if (waitsForSignal) {
                        wake.await();
                    } else {
                        wake.awaitNanos(wait);
                    }
                } catch (InterruptedException stop) {
                    return null;
                } finally {
                    waiting = false;
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the timer thread's current wait ends at a tick (for tests). */
    boolean ticking() {
        lock.lock();
        try {
            return ticking;
        } finally {
            lock.unlock();
        }
    }

    /** How many timers are armed (for tests). */
    int armed() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** How many times arming a timer woke the timer thread (for tests). */
    long signals() {
        lock.lock();
        try {
            return signals;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isSchedulerThread() {
        return Thread.currentThread() == thread;
    }

    /** Stops the timer thread; timers still armed never run, and arming another is refused. */
    public void shutdown() {
        lock.lock();
        try {
            shutdown = true;
            for (int i = 0; i < size; i++) {
                heap[i].index = -1;
                heap[i] = null;
            }
            size = 0;
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    // --- the heap, ordered by deadline; guarded by lock

    private void add(Timer timer, long deadline) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
            deadlines = Arrays.copyOf(deadlines, size * 2);
        }
        siftUp(size++, timer, deadline);
    }

    private void removeAt(int i) {
        heap[i].index = -1;
        Timer last = heap[--size];
        long lastDeadline = deadlines[size];
        heap[size] = null;
        if (i < size) {
            siftDown(i, last, lastDeadline);
            if (heap[i] == last) {
                siftUp(i, last, lastDeadline);
            }
        }
    }

    private void siftUp(int i, Timer timer, long deadline) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (deadline - deadlines[parent] >= 0) {
                break;
            }
            place(i, heap[parent], deadlines[parent]);
            i = parent;
        }
        place(i, timer, deadline);
    }

    private void siftDown(int i, Timer timer, long deadline) {
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && deadlines[right] - deadlines[child] < 0) {
                child = right;
            }
            if (deadline - deadlines[child] <= 0) {
                break;
            }
            place(i, heap[child], deadlines[child]);
            i = child;
        }
        place(i, timer, deadline);
    }

    private void place(int i, Timer timer, long deadline) {
        heap[i] = timer;
        deadlines[i] = deadline;
        timer.index = i;
    }

    /** A task scheduled: the timer and the handle that cancels it, in one object. */
    private static final class TaskTimer extends Timer implements Cancellable {
        private final TimerScheduler scheduler;
        private final Runnable task;

        TaskTimer(TimerScheduler scheduler, Runnable task) {
            this.scheduler = scheduler;
            this.task = task;
        }

        @Override
        void due() {
            task.run();
        }

        @Override
        public void cancel() {
            scheduler.disarm(this);
        }
    }
}
