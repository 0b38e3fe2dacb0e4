package io.tailguard.agent.engine;

import io.tailguard.agent.config.TailguardConfig.TaggingHeaders;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The tagging headers of one attempt, in the order they go out (request id, attempt, hedge): an
 * immutable map of two or three entries made for every tagged attempt, so it is a few arrays
 * rather than a hash map with its table and entry objects.
 */
final class AttemptHeaders extends AbstractMap<String, String> {

    /** Attempt numbers as header values, without a new string for the usual ones. */
    private static final String[] NUMBERS = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

    private final String[] names;
    private final String[] values;

    private AttemptHeaders(String[] names, String[] values) {
        this.names = names;
        this.values = values;
    }

    /** @param requestId the request id to add, or {@code null} when the request has its own */
    static AttemptHeaders of(TaggingHeaders tagging, String requestId, int attempt, boolean hedge) {
        String number = attempt >= 0 && attempt < NUMBERS.length ? NUMBERS[attempt] : Integer.toString(attempt);
        String hedged = hedge ? "true" : "false";
        if (requestId == null) {
            return new AttemptHeaders(new String[] {tagging.attempt(), tagging.hedge()}, new String[] {number, hedged});
        }
        return new AttemptHeaders(new String[] {tagging.requestId(), tagging.attempt(), tagging.hedge()},
                new String[] {requestId, number, hedged});
    }

    @Override
    public int size() {
        return names.length;
    }

    @Override
    public String get(Object key) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(key)) {
                return values[i];
            }
        }
        return null;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super String> action) {
        for (int i = 0; i < names.length; i++) {
            action.accept(names[i], values[i]);
        }
    }

    @Override
    public Set<Map.Entry<String, String>> entrySet() {
        return new AbstractSet<Map.Entry<String, String>>() {
            @Override
            public int size() {
                return names.length;
            }

            @Override
            public Iterator<Map.Entry<String, String>> iterator() {
                return new Iterator<Map.Entry<String, String>>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < names.length;
                    }

                    @Override
                    public Map.Entry<String, String> next() {
                        if (next >= names.length) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return new SimpleImmutableEntry<>(names[i], values[i]);
                    }
                };
            }
        };
    }
}
