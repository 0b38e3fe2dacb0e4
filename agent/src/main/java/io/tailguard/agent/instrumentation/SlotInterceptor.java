package io.tailguard.agent.instrumentation;

/**
 * The entry point of a client's adapter code that lives in the client's own class loader (see
 * {@link LibraryBridge}): one object per class loader, handling every dispatcher slot of that
 * client.
 */
public interface SlotInterceptor {

    /** Same contract as {@link io.tailguard.bootstrap.CallInterceptor#intercept}, for {@code slot}. */
    Object intercept(int slot, Object self, Object[] args) throws Exception;
}
