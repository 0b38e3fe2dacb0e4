package io.tailguard.agent.instrumentation.okhttp.adapter;

import java.lang.ref.WeakReference;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.Call;

/**
 * The handled {@code execute()} each application thread is in, for the {@code cancel()} another
 * thread makes: {@code execute()} holds its thread until its request ends, so one slot per thread
 * does, and registering a request is a thread-local read and a field write, where a concurrent map
 * keyed by the call hashed a new object on every request (0.6 µs of the caller's CPU). A thread
 * already in one (an interceptor's own call, made on it) has the caller keep the inner one elsewhere.
 *
 * <p>The slots of threads that have ended are let go as new threads register, so the list holds
 * no more than the threads that have handled a request and are alive, plus those ended since the
 * last registration.
 */
final class ExecutingCalls {

    private final ThreadLocal<Slot> slots = new ThreadLocal<>();
    private final CopyOnWriteArrayList<Slot> all = new CopyOnWriteArrayList<>();

    /** Registers the request this thread is about to wait for; {@code false} when it waits for one already. */
    boolean enter(OkHttpExchange exchange) {
        Slot slot = slots.get();
        if (slot == null) {
            slot = new Slot(Thread.currentThread());
            slots.set(slot);
            for (Slot known : all) {
                if (known.thread.get() == null) {
                    all.remove(known);
                }
            }
            all.add(slot);
        }
        if (slot.exchange != null) {
            return false;
        }
        slot.exchange = exchange;
        return true;
    }

    /** The request this thread waited for has ended; {@code false} when it was not registered here. */
    boolean exit(OkHttpExchange exchange) {
        Slot slot = slots.get();
        if (slot != null && slot.exchange == exchange) {
            slot.exchange = null;
            return true;
        }
        return false;
    }

    /** The request whose application call is {@code call}, if a thread waits for it. */
    OkHttpExchange find(Call call) {
        for (Slot slot : all) {
            OkHttpExchange exchange = slot.exchange;
            if (exchange != null && exchange.applicationCall() == call) {
                return exchange;
            }
        }
        return null;
    }

    private static final class Slot {
        /** Weakly: a slot must not keep its thread alive. */
        final WeakReference<Thread> thread;
        volatile OkHttpExchange exchange;

        Slot(Thread thread) {
            this.thread = new WeakReference<>(thread);
        }
    }
}
