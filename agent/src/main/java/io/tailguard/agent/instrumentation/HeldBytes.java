package io.tailguard.agent.instrumentation;

import java.util.Arrays;

/** Growing the array an async adapter holds a retryable response's body in. */
public final class HeldBytes {

    private HeldBytes() {
    }

    /**
     * {@code held}, or a larger copy, with room for {@code n} more bytes after the first
     * {@code count}; {@code null} when the heap has no room for a larger copy (limits set beyond
     * the heap): the body is then committed as if a limit was reached.
     */
    public static byte[] room(byte[] held, int count, int n) {
        if (count + (long) n <= held.length) {
            return held;
        }
        long size = Math.max(count + (long) n, Math.max(1024L, held.length * 2L));
        if (size > Integer.MAX_VALUE - 16) {
            return null;
        }
        try {
            return Arrays.copyOf(held, (int) size);
        } catch (OutOfMemoryError noRoom) {
            return null;
        }
    }
}
