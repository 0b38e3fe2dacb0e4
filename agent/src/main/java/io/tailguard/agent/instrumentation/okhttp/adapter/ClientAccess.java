package io.tailguard.agent.instrumentation.okhttp.adapter;

import io.tailguard.agent.Log;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import okhttp3.Call;
import okhttp3.OkHttpClient;

/**
 * The {@link OkHttpClient} a call was made with. {@code okhttp3.Call} does not expose it, and the
 * way to reach it is the one version difference the adapter has:
 * <ul>
 *   <li>3.x: {@code okhttp3.RealCall} is package-private with a package-private final field
 *       {@code client}, read reflectively;
 *   <li>4.x and 5.x: {@code okhttp3.internal.connection.RealCall} has a public {@code getClient()}
 *       (the Kotlin property {@code val client}), called reflectively only because that class does
 *       not exist in the 3.14 API the adapter is compiled against.
 * </ul>
 * Resolved once per call class (one OkHttp version per class loader) into a method handle. Where
 * it cannot be reached (OkHttp 5 on the module path: its {@code module-info} does not export
 * {@code okhttp3.internal.connection}), {@link #clientOf} answers {@code null}, said once in the log.
 */
final class ClientAccess {

    private volatile Accessor accessor;

    /** @return the call's client, or {@code null} where it cannot be reached */
    OkHttpClient clientOf(Call call) {
        Accessor a = accessor;
        if (a == null || a.type != call.getClass()) {
            a = new Accessor(call.getClass());
            accessor = a;
        }
        if (a.getter == null) {
            return null;
        }
        try {
            return (OkHttpClient) a.getter.invoke(call);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot read the client of " + call.getClass().getName(), e);
        }
    }

    private static final class Accessor {
        final Class<?> type;
        final MethodHandle getter;

        Accessor(Class<?> type) {
            this.type = type;
            MethodHandle found;
            try {
                found = find(type);
            } catch (ReflectiveOperationException | RuntimeException e) {
                Log.warn("cannot reach the OkHttpClient of " + type.getName() + " (" + e
                        + "): OkHttp attempts are sent without tagging headers");
                found = null;
            }
            this.getter = found;
        }

        private static MethodHandle find(Class<?> type) throws ReflectiveOperationException {
            try {
                return MethodHandles.publicLookup().unreflect(type.getMethod("getClient"));
            } catch (NoSuchMethodException e) {
                // 3.x: no getter, a package-private field.
                Field client = type.getDeclaredField("client");
                client.setAccessible(true);
                return MethodHandles.lookup().unreflectGetter(client);
            }
        }
    }
}
