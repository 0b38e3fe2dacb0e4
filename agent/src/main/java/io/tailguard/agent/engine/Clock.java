package io.tailguard.agent.engine;

/** Time as the engine sees it; injected so that tests can drive it. */
public interface Clock {

    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }
    };

    /** Monotonic time for durations and deadlines. */
    long nanoTime();

    /** Wall-clock time, only for reading HTTP dates such as {@code Retry-After}. */
    long currentTimeMillis();
}
