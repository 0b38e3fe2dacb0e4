package io.tailguard.it.app;

import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Interrupts the calling thread after {@code interruptAfterMs}, the way an application might. */
final class Interrupter {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "app-interrupter");
        thread.setDaemon(true);
        return thread;
    });
    private static final Interrupter NONE = new Interrupter(null);

    private final ScheduledFuture<?> pending;

    private Interrupter(ScheduledFuture<?> pending) {
        this.pending = pending;
    }

    static Interrupter schedule(Map<String, String> call) {
        String after = call.get("interruptAfterMs");
        if (after == null) {
            return NONE;
        }
        Thread caller = Thread.currentThread();
        return new Interrupter(TIMER.schedule(caller::interrupt, Long.parseLong(after), TimeUnit.MILLISECONDS));
    }

    /** Stops a pending interrupt and clears the flag; returns whether the thread was left interrupted. */
    boolean finish() {
        if (pending != null) {
            pending.cancel(false);
        }
        return Thread.interrupted();
    }
}
