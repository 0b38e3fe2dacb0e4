package io.tailguard.agent.instrumentation.bridged;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.SlotInterceptor;

/** An adapter for {@code LibraryBridgeTest}: answers with the loader it was defined in. */
public final class LoaderName implements SlotInterceptor {

    public LoaderName(Engine engine) {
    }

    @Override
    public Object intercept(int slot, Object self, Object[] args) {
        return LoaderName.class.getClassLoader();
    }
}
