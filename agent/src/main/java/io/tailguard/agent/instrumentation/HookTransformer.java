package io.tailguard.agent.instrumentation;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The transformer of the hooks' prologues (the JDK client's tag writing has one of its own,
 * {@link io.tailguard.agent.instrumentation.jdk.WireTagging}). For every class the JVM loads it does one hash lookup
 * of the class name; only the few hooked classes are parsed and rewritten. A failure leaves the
 * class as it was: the client then works without the agent.
 */
public final class HookTransformer implements ClassFileTransformer {

    private final Map<String, List<Hook>> hooksByType = new HashMap<>();
    /**
     * The same classes by binary name ({@code a.b.C}): premain asks about every class loaded before
     * it (some seven hundred; thousands on an attach), and a lookup by the name the class already
     * holds spares a converted copy of each name.
     */
    private final Set<String> binaryNames = new HashSet<>();
    private final Listener listener;

    public HookTransformer(List<Hook> hooks, Listener listener) {
        for (Hook hook : hooks) {
            List<Hook> forType = hooksByType.get(hook.type());
            if (forType == null) {
                forType = new ArrayList<>();
                hooksByType.put(hook.type(), forType);
            }
            forType.add(hook);
            binaryNames.add(hook.type().replace('/', '.'));
        }
        this.listener = listener;
    }

    /** Whether a loaded class (by binary name) is one this transformer rewrites. */
    public boolean hooks(String className) {
        return binaryNames.contains(className);
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (className == null) {
            return null;
        }
        List<Hook> hooks = hooksByType.get(className);
        if (hooks == null) {
            return null;
        }
        try {
            byte[] transformed = MethodPrologue.apply(classfileBuffer, hooks);
            if (transformed != null) {
                listener.transformed(className);
            }
            return transformed;
        } catch (Throwable failure) {
            listener.failed(className, failure);
            return null;
        }
    }

    /** Hears which classes were instrumented, and which could not be. */
    public interface Listener {
        void transformed(String type);

        void failed(String type, Throwable failure);
    }
}
