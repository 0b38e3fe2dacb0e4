package io.tailguard.bench.overhead.empty;

import java.lang.instrument.Instrumentation;

/**
 * An agent that does nothing: what the startup benchmark compares Tailguard with to tell what any
 * {@code -javaagent} costs the JVM (opening the jar, and the JVM giving up its archived module graph
 * for the {@code java.instrument} module {@code -javaagent} adds to its options) from what Tailguard's own premain, hooks and first call cost.
 */
public final class EmptyAgent {

    private EmptyAgent() {
    }

    public static void premain(String args, Instrumentation instrumentation) {
        // Nothing: the point is the JVM's own cost of loading an agent.
    }
}
