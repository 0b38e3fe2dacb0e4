package io.tailguard.agent;

import io.tailguard.agent.instrumentation.HookTransformer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Failures of the agent's own code. The request they happened in has already fallen back to the
 * plain client; here they are counted and logged, each distinct one once, so that a bug shows up
 * in the log without flooding it.
 */
final class InternalFailures implements Consumer<Throwable>, HookTransformer.Listener {

    private static final int MAX_DISTINCT_LOGGED = 20;

    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final AtomicLong count = new AtomicLong();

    @Override
    public void accept(Throwable failure) {
        count.incrementAndGet();
        StackTraceElement[] trace = failure.getStackTrace();
        String key = failure.getClass().getName() + "@" + (trace.length > 0 ? trace[0] : "?");
        if (seen.size() < MAX_DISTINCT_LOGGED && seen.add(key)) {
            Log.warn("internal failure, the request fell back to the plain client (logged once; "
                    + count.get() + " so far): " + failure, failure);
        }
    }

    @Override
    public void transformed(String type) {
        Log.debug("instrumented " + type.replace('/', '.'));
    }

    @Override
    public void failed(String type, Throwable failure) {
        Log.warn("could not instrument " + type.replace('/', '.') + "; its requests pass through untouched", failure);
    }

    long count() {
        return count.get();
    }
}
