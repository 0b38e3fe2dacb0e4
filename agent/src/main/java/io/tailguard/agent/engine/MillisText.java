package io.tailguard.agent.engine;

/**
 * The text of a policy's timeout tag, kept for the value last sent. An attempt's budget is the
 * policy's retry timeout (or its attempt timeout) less the microseconds since the request started,
 * so nearly every primary of a policy sends the same number of whole milliseconds and needs no new
 * string for it. Shared by the threads of one policy: an entry is immutable, and a thread that
 * misses an update only makes a string of its own.
 */
final class MillisText {

    private volatile Entry last;

    String of(long millis) {
        Entry entry = last;
        if (entry != null && entry.millis == millis) {
            return entry.text;
        }
        String text = Long.toString(millis);
        last = new Entry(millis, text);
        return text;
    }

    private static final class Entry {
        final long millis;
        final String text;

        Entry(long millis, String text) {
            this.millis = millis;
            this.text = text;
        }
    }
}
