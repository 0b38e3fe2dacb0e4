package io.tailguard.agent.server;

/**
 * Reads the tags of an incoming request defensively: a value longer than {@link #MAX_LENGTH} or
 * with a character outside visible ASCII counts as absent, so a hostile client can neither grow
 * the tables with huge keys nor make a request look like something it is not. A malformed attempt
 * number or hedge flag makes the request a {@link ServerKind#PRIMARY}: the worst it can do is be
 * treated as an original, which is never refused.
 */
final class RequestTags {

    static final int MAX_LENGTH = 128;
    /** No Tailguard client sends more attempts than its {@code retry.max-attempts} allows (10). */
    private static final int MAX_ATTEMPT = 100;
    /** What {@link #waitNanos} answers when the client did not say how long it waits. */
    static final long NO_WAIT = -1;
    /** A remaining wait of more digits (over 11 days in milliseconds) says nothing a server can act on. */
    private static final int MAX_WAIT_DIGITS = 9;

    private RequestTags() {
    }

    /** The value if it is a usable tag, else {@code null}. */
    static String bounded(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return null;
            }
        }
        return value;
    }

    static ServerKind kind(String attempt, String hedge) {
        if (hedge != null && (hedge.equalsIgnoreCase("true") || hedge.equals("1"))) {
            return ServerKind.HEDGE;
        }
        String a = bounded(attempt);
        if (a == null || a.length() > 3) {
            return ServerKind.PRIMARY;
        }
        int n = 0;
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c < '0' || c > '9') {
                return ServerKind.PRIMARY;
            }
            n = n * 10 + (c - '0');
        }
        return n > 1 && n <= MAX_ATTEMPT ? ServerKind.RETRY : ServerKind.PRIMARY;
    }

    /**
     * The time the client still waits for this attempt, from its timeout tag (whole milliseconds),
     * in nanoseconds; {@link #NO_WAIT} when absent or not a plain number of at most
     * {@value #MAX_WAIT_DIGITS} digits.
     */
    static long waitNanos(String millis) {
        if (millis == null || millis.isEmpty() || millis.length() > MAX_WAIT_DIGITS) {
            return NO_WAIT;
        }
        long n = 0;
        for (int i = 0; i < millis.length(); i++) {
            char c = millis.charAt(i);
            if (c < '0' || c > '9') {
                return NO_WAIT;
            }
            n = n * 10 + (c - '0');
        }
        return n * 1_000_000L;
    }
}
