package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.AttemptSpec;

/**
 * An attempt's tags as the header lines an adapter writes into the client's request itself, in
 * one array written in one call: {@code name: value} and CRLF each, a byte per character (names
 * and values are plain visible ASCII, {@link TagNames} and {@link AttemptSpec#headerValue}).
 */
public final class TagLines {

    private TagLines() {
    }

    /** Every tag's line, in sending order. */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): a copy of each character's low byte, as meant
    public static byte[] of(AttemptSpec tags) {
        int count = tags.headerCount();
        int length = 0;
        for (int i = 0; i < count; i++) {
            length += tags.headerName(i).length() + tags.headerValue(i).length() + 4;
        }
        byte[] lines = new byte[length];
        int at = 0;
        for (int i = 0; i < count; i++) {
            String name = tags.headerName(i);
            String value = tags.headerValue(i);
            name.getBytes(0, name.length(), lines, at);
            at += name.length();
            lines[at++] = ':';
            lines[at++] = ' ';
            value.getBytes(0, value.length(), lines, at);
            at += value.length();
            lines[at++] = '\r';
            lines[at++] = '\n';
        }
        return lines;
    }
}
