package io.tailguard.bootstrap;

/**
 * Decides what an instrumented client method does. Implemented by the agent; called from the
 * prologue that the agent adds to each instrumented method, through {@link Dispatcher#enter}.
 */
public interface CallInterceptor {

    /**
     * @param self the instance the instrumented method was called on
     * @param args the method's arguments ({@code null} for a method without any)
     * @return {@link Dispatcher#PROCEED} to run the method as written, or an {@link Outcome} that
     *     becomes the method's result (its value is returned, its failure is thrown)
     * @throws Exception an internal failure before anything was sent: the method runs as written
     */
    Object intercept(Object self, Object[] args) throws Exception;
}
