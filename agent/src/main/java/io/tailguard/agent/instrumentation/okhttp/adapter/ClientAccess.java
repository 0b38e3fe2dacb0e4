package io.tailguard.agent.instrumentation.okhttp.adapter;

import io.tailguard.agent.Log;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Call;
import okhttp3.OkHttpClient;

/**
 * The {@link OkHttpClient} a call was made with, and the call's own "executed" mark: what a tagged
 * copy of a call needs. {@code okhttp3.Call} exposes neither, and the way to reach them is the one
 * version difference the adapter has:
 * <ul>
 *   <li>3.x: {@code okhttp3.RealCall} is package-private with a package-private final field
 *       {@code client}, read reflectively;
 *   <li>4.x and 5.x: {@code okhttp3.internal.connection.RealCall} has a public {@code getClient()}
 *       (the Kotlin property {@code val client}), called reflectively only because that class does
 *       not exist in the 3.14 API the adapter is compiled against.
 * </ul>
 * The mark is {@code RealCall}'s private field {@code executed}: a {@code boolean} guarded by the
 * call in 3.x, an {@code AtomicBoolean} in 4.x and 5.x. OkHttp sets it when a call runs and refuses
 * a call that has it ("Already Executed"). When the agent sends a tagged copy, the application's
 * own call never runs, so the agent sets the mark itself: {@code isExecuted()} then answers as
 * without the agent, and OkHttp's own check refuses a second run.
 *
 * <p>Resolved once per call class (one OkHttp version per class loader) into method handles. Where
 * either cannot be reached (OkHttp 5 on the module path: its {@code module-info} does not export
 * {@code okhttp3.internal.connection}), {@link #clientOf} answers {@code null}, said once in the log,
 * and the call is sent as it is.
 */
final class ClientAccess {

    private volatile Accessor accessor;

    /** @return the call's client, or {@code null} where it cannot be reached */
    OkHttpClient clientOf(Call call) {
        Accessor a = accessorFor(call);
        if (a.getter == null || a.executed == null) {
            return null;
        }
        try {
            return (OkHttpClient) a.getter.invokeExact(call);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot read the client of " + call.getClass().getName(), e);
        }
    }

    /**
     * Sets or clears the call's "executed" mark, as OkHttp does when it runs the call; only for a
     * call whose {@link #clientOf} was answered.
     */
    void markExecuted(Call call, boolean executed) {
        Field field = accessorFor(call).executed;
        try {
            if (field.getType() == AtomicBoolean.class) {
                ((AtomicBoolean) field.get(call)).set(executed);
            } else {
                synchronized (call) { // 3.x reads and writes it holding the call
                    field.setBoolean(call, executed);
                }
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot mark " + call.getClass().getName() + " executed", e);
        }
    }

    private Accessor accessorFor(Call call) {
        Accessor a = accessor;
        if (a == null || a.type != call.getClass()) {
            a = new Accessor(call.getClass());
            accessor = a;
        }
        return a;
    }

    private static final class Accessor {
        final Class<?> type;
        final MethodHandle getter;
        /** {@code RealCall.executed}: a {@code boolean} (3.x) or an {@code AtomicBoolean} (4.x, 5.x). */
        final Field executed;

        Accessor(Class<?> type) {
            this.type = type;
            MethodHandle found;
            Field mark;
            try {
                found = find(type);
                mark = type.getDeclaredField("executed");
                if (mark.getType() != boolean.class && mark.getType() != AtomicBoolean.class) {
                    throw new NoSuchFieldException("executed is a " + mark.getType().getName());
                }
                mark.setAccessible(true);
            } catch (ReflectiveOperationException | RuntimeException e) {
                Log.warn("cannot reach the OkHttpClient or the executed mark of " + type.getName() + " (" + e
                        + "): OkHttp attempts are sent without tagging headers");
                found = null;
                mark = null;
            }
            this.getter = found;
            this.executed = mark;
        }

        /**
         * Typed {@code (Call)OkHttpClient}, as {@link #clientOf} calls it: an {@code invokeExact}, where
         * a plain {@code invoke} would adapt the handle's type on every call.
         */
        private static MethodHandle find(Class<?> type) throws ReflectiveOperationException {
            MethodHandle getter;
            try {
                getter = MethodHandles.publicLookup().unreflect(type.getMethod("getClient"));
            } catch (NoSuchMethodException e) {
                // 3.x: no getter, a package-private field.
                Field client = type.getDeclaredField("client");
                client.setAccessible(true);
                getter = MethodHandles.lookup().unreflectGetter(client);
            }
            return getter.asType(MethodType.methodType(OkHttpClient.class, Call.class));
        }
    }
}
