package io.tailguard.bench.overhead.empty;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Set;

/**
 * An agent whose premain only registers a transformer that changes no class: what the startup
 * benchmark compares Tailguard with to tell what any agent that rewrites classes as they load costs
 * the JVM (from then on it hands every class it defines, as a copy of its bytes, to the agent's
 * transformers) from Tailguard's own work. Like Tailguard's, the transformer may retransform, and it
 * looks each class's name up in a set of the names it would rewrite.
 */
public final class IdleTransformerAgent {

    private IdleTransformerAgent() {
    }

    public static void premain(String args, Instrumentation instrumentation) {
        instrumentation.addTransformer(new NameLookup(), true);
    }

    private static final class NameLookup implements ClassFileTransformer {
        private final Set<String> names = Set.of("jdk/internal/net/http/HttpClientImpl", "okhttp3/RealCall");
        /** How many of the classes asked about it would have rewritten (it rewrites none). */
        private int matched;

        @Override
        public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
                ProtectionDomain protectionDomain, byte[] classfileBuffer) {
            if (className != null && names.contains(className)) {
                matched++;
            }
            return null;
        }
    }
}
