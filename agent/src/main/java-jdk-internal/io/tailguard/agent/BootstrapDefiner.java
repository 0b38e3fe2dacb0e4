package io.tailguard.agent;

import java.security.ProtectionDomain;
import java.util.function.BiFunction;
import jdk.internal.misc.Unsafe;

/**
 * Defines one class in the bootstrap class loader from its bytes, with the JDK's internal
 * {@code Unsafe.defineClass} (a {@code null} loader is the bootstrap loader). It is loaded by
 * {@link BootstrapClasses} in a class loader of its own whose module alone may use
 * {@code jdk.internal.misc}: it must reference JDK types only, and is never loaded by the agent's loader.
 *
 * <p>It calls {@code Unsafe} directly, compiled against {@code jdk.internal.misc} (a source folder of
 * its own, compiled without {@code --release}, which forbids that), not through reflection: since JDK
 * 18 the first {@code Method.invoke} of a method builds a method handle for it and spins its lambda
 * forms, which took 20 ms of premain on JDK 25 ({@code benchmarks/run startup}). {@code Unsafe}'s
 * {@code getUnsafe} and {@code defineClass} are the same from JDK 11 to 25; should a JDK lack them,
 * the first call fails to link and {@link BootstrapClasses} falls back to a jar on the bootstrap
 * class path.
 */
public final class BootstrapDefiner implements BiFunction<String, byte[], Class<?>> {

    private final Unsafe unsafe = Unsafe.getUnsafe();

    @Override
    public Class<?> apply(String name, byte[] bytes) {
        return unsafe.defineClass(name, bytes, 0, bytes.length, null, (ProtectionDomain) null);
    }
}
