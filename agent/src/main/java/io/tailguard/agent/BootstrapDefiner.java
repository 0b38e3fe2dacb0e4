package io.tailguard.agent;

import java.lang.reflect.Method;
import java.util.function.BiFunction;

/**
 * Defines one class in the bootstrap class loader from its bytes, with the JDK's internal
 * {@code Unsafe.defineClass} (a {@code null} loader is the bootstrap loader). It is loaded by
 * {@link BootstrapClasses} in a class loader of its own whose module alone may use
 * {@code jdk.internal.misc}: it must reference JDK types only, and is never loaded by the agent's loader.
 */
public final class BootstrapDefiner implements BiFunction<String, byte[], Class<?>> {

    private final Object unsafe;
    private final Method defineClass;

    public BootstrapDefiner() throws ReflectiveOperationException {
        Class<?> type = Class.forName("jdk.internal.misc.Unsafe");
        unsafe = type.getMethod("getUnsafe").invoke(null);
        defineClass = type.getMethod("defineClass", String.class, byte[].class, int.class, int.class,
                ClassLoader.class, java.security.ProtectionDomain.class);
    }

    @Override
    public Class<?> apply(String name, byte[] bytes) {
        try {
            return (Class<?>) defineClass.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
        } catch (ReflectiveOperationException failure) {
            throw new IllegalStateException("could not define " + name + " in the bootstrap class loader", failure);
        }
    }
}
