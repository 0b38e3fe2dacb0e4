package io.tailguard.agent.instrumentation.okhttp.adapter;

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
 * Resolved once per call class (one OkHttp version per class loader) into a method handle.
 */
final class ClientAccess {

    private volatile Accessor accessor;

    OkHttpClient clientOf(Call call) {
        Accessor a = accessor;
        if (a == null || a.type != call.getClass()) {
            a = new Accessor(call.getClass());
            accessor = a;
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
            this.getter = find(type);
        }

        private static MethodHandle find(Class<?> type) {
            try {
                return MethodHandles.publicLookup().unreflect(type.getMethod("getClient"));
            } catch (NoSuchMethodException e) {
                // 3.x: no getter, a package-private field.
                return clientField(type);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot read the client of " + type.getName(), e);
            }
        }

        private static MethodHandle clientField(Class<?> type) {
            try {
                Field client = type.getDeclaredField("client");
                client.setAccessible(true);
                return MethodHandles.lookup().unreflectGetter(client);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot read the client of " + type.getName(), e);
            }
        }
    }
}
