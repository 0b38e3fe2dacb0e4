package io.tailguard.agent.engine;

import java.util.UUID;

/**
 * Generates request ids: random (version 4) UUIDs, without the cost of a SecureRandom. The text
 * comes from {@link UUID#toString()}, which the JDK writes straight into its string's own bytes
 * (no second copy, as a string built from our own array would make).
 */
final class RequestIds {

    private RequestIds() {
    }

    static String next(RandomSource random) {
        long high = random.nextLong() & 0xffffffffffff0fffL | 0x0000000000004000L;
        long low = random.nextLong() & 0x3fffffffffffffffL | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
