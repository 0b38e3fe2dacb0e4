package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.Engine;
import java.util.List;

/**
 * Everything about hooking one client, in one place: the name that switches it off
 * ({@code tailguard.instrumentation.<name>.enabled=false}), the exact methods it instruments
 * (matched by class name first, which costs one hash lookup per loaded class), and the
 * interceptors those methods call. The interceptors turn a call into an engine
 * {@link io.tailguard.agent.engine.Exchange}; the engine does the rest.
 */
public interface ClientInstrumentation {

    /** The name in {@code tailguard.instrumentation.<name>.enabled}. */
    String name();

    /** The methods to instrument. */
    List<Hook> hooks();

    /**
     * Puts this client's interceptors into the dispatcher slots its hooks call. Called once, when the
     * first of its classes is rewritten, before the rewritten class is handed back to the JVM.
     */
    void install(Engine engine);
}
