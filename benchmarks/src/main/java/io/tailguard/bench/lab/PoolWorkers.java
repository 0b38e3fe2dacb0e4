package io.tailguard.bench.lab;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The same capacity as {@link Workers} (so many attempts served at once, a FIFO queue of at most
 * so many waiting, 503 beyond it), as the JDK's server's own executor instead of a queue inside
 * the handler: a fixed pool of worker threads that run the handler, and a bounded queue of
 * requests waiting for one. This is how a thread-pool server queues, and the queue Tailguard's
 * server side can see (it measures how long a request waited for the executor). A request the
 * full queue refuses is still answered, 503 at once, on a thread of its own.
 */
final class PoolWorkers {

    /** Set on the thread serving a request the full queue refused. */
    private static final ThreadLocal<Boolean> REFUSED = new ThreadLocal<>();
    /** When the request this thread serves was queued, {@link System#nanoTime}. */
    private static final ThreadLocal<long[]> QUEUED_AT = ThreadLocal.withInitial(() -> new long[1]);

    private final ThreadPoolExecutor pool;
    private final ExecutorService refusals;
    private final PeakQueue queue;
    private int capacity;

    PoolWorkers(int capacity, int queueLimit) {
        this.capacity = capacity;
        this.queue = new PeakQueue(queueLimit);
        this.refusals = Executors.newCachedThreadPool(r -> daemon(r, "lab-refusal"));
        this.pool = new ThreadPoolExecutor(capacity, capacity, 0, TimeUnit.SECONDS, queue,
                r -> daemon(r, "lab-worker"), (task, pool) -> refusals.execute(() -> {
                    REFUSED.set(Boolean.TRUE);
                    try {
                        task.run();
                    } finally {
                        REFUSED.remove();
                    }
                }));
        pool.prestartAllCoreThreads();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The JDK server's executor: notes when each request was queued, for {@link #queuedAt}. */
    void execute(Runnable exchange) {
        long queued = System.nanoTime();
        pool.execute(() -> {
            QUEUED_AT.get()[0] = queued;
            try {
                exchange.run();
            } finally {
                QUEUED_AT.get()[0] = 0;
            }
        });
    }

    /** Whether the request this thread serves was refused by the full queue. */
    static boolean refused() {
        return REFUSED.get() != null;
    }

    /** When the request this thread serves was queued, or 0 when not through a pool. */
    static long queuedAt() {
        return QUEUED_AT.get()[0];
    }

    /** The number of workers changes; attempts already being served finish. */
    synchronized void setCapacity(int capacity) {
        if (capacity > this.capacity) {
            pool.setMaximumPoolSize(capacity);
            pool.setCorePoolSize(capacity);
        } else {
            pool.setCorePoolSize(capacity);
            pool.setMaximumPoolSize(capacity);
        }
        this.capacity = capacity;
    }

    int queued() {
        return queue.size();
    }

    int peakQueue() {
        return queue.peak;
    }

    void shutdown() {
        pool.shutdownNow();
        refusals.shutdownNow();
    }

    /** The pool's queue, noting its longest length. */
    private static final class PeakQueue extends ArrayBlockingQueue<Runnable> {
        private static final long serialVersionUID = 1L;
        volatile int peak;

        PeakQueue(int capacity) {
            super(capacity);
        }

        @Override
        public boolean offer(Runnable task) {
            boolean queued = super.offer(task);
            if (queued) {
                int length = size();
                synchronized (this) {
                    peak = Math.max(peak, length);
                }
            }
            return queued;
        }
    }
}
