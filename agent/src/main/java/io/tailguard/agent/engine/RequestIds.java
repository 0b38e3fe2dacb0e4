package io.tailguard.agent.engine;

import java.nio.charset.StandardCharsets;

/** Generates request ids: random (version 4) UUIDs, without the cost of a SecureRandom. */
final class RequestIds {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

    private RequestIds() {
    }

    static String next(RandomSource random) {
        long high = random.nextLong() & 0xffffffffffff0fffL | 0x0000000000004000L;
        long low = random.nextLong() & 0x3fffffffffffffffL | 0x8000000000000000L;
        // Bytes, not chars: a String of Latin-1 text keeps a byte array, half the size to copy.
        byte[] out = new byte[36];
        int pos = 0;
        for (int i = 0; i < 32; i++) {
            if (i == 8 || i == 12 || i == 16 || i == 20) {
                out[pos++] = '-';
            }
            long word = i < 16 ? high : low;
            int shift = 60 - 4 * (i % 16);
            out[pos++] = HEX[(int) (word >>> shift) & 0xf];
        }
        return new String(out, StandardCharsets.ISO_8859_1);
    }
}
