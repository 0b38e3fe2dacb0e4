package io.tailguard.agent.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The agent's threads: all daemons, all named {@code tailguard-*}, none kept when idle. */
public final class DaemonThreads {

    /** Most threads running blocking clients' hedges at once; beyond that a hedge is not sent. */
    static final int MAX_WORKERS = 256;

    private DaemonThreads() {
    }

    public static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return new ThreadFactory() {
            @Override
            public Thread newThread(Runnable task) {
                Thread thread = new Thread(task, prefix + (prefix.endsWith("-") ? count.incrementAndGet() : ""));
                thread.setDaemon(true);
                return thread;
            }
        };
    }

    /**
     * Workers for attempts of blocking clients that cannot run on the application's thread (a
     * hedge while the primary blocks it). Threads end after a few idle seconds.
     */
    public static ExecutorService workers() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, MAX_WORKERS, 5, TimeUnit.SECONDS,
                new SynchronousQueue<>(), named("tailguard-worker-"));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
