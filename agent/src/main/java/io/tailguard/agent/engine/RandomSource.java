package io.tailguard.agent.engine;

import java.util.concurrent.ThreadLocalRandom;

/** Randomness for jitter and request ids; injected so that tests are repeatable. */
public interface RandomSource {

    RandomSource THREAD_LOCAL = new RandomSource() {
        @Override
        public long nextLong(long bound) {
            return ThreadLocalRandom.current().nextLong(bound);
        }

        @Override
        public long nextLong() {
            return ThreadLocalRandom.current().nextLong();
        }
    };

    /** A value from 0 (inclusive) to {@code bound} (exclusive); {@code bound} is positive. */
    long nextLong(long bound);

    long nextLong();
}
