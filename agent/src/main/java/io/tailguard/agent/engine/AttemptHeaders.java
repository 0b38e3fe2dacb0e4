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
 * The tagging headers of one attempt, in the order they go out (request id, attempt, hedge, the
 * milliseconds the client still waits for it): an
 * immutable map made for every tagged attempt, so it is one small object over the configured
 * names rather than a hash map with its table and entry objects.
 */
final class AttemptHeaders extends AbstractMap<String, String> {

    /** Attempt numbers as header values, without a new string for the usual ones. */
    private static final String[] NUMBERS = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

    private final TaggingHeaders names;
    /** {@code null} when the request carries its own id: then there are two headers. */
    private final String requestId;
    private final String attempt;
    private final String hedge;
    /** {@code null} when the request has no deadline. */
    private final String timeout;

    private AttemptHeaders(TaggingHeaders names, String requestId, String attempt, String hedge, String timeout) {
        this.names = names;
        this.requestId = requestId;
        this.attempt = attempt;
        this.hedge = hedge;
        this.timeout = timeout;
    }

    /**
     * @param requestId the request id to add, or {@code null} when the request has its own
     * @param timeoutMillis the whole milliseconds the client still waits for this attempt, or a
     *     negative number when it waits without a deadline
     */
    static AttemptHeaders of(TaggingHeaders tagging, String requestId, int attempt, boolean hedge,
            long timeoutMillis) {
        return new AttemptHeaders(tagging, requestId, number(attempt), hedge(hedge),
                timeoutMillis < 0 ? null : Long.toString(timeoutMillis));
    }

    /** The headers as they are: the texts made by {@link #number} and {@link #hedge}. */
    static AttemptHeaders of(TaggingHeaders tagging, String requestId, String attempt, String hedge, String timeout) {
        return new AttemptHeaders(tagging, requestId, attempt, hedge, timeout);
    }

    /** The attempt number as a header value, without a new string for the usual ones. */
    static String number(int attempt) {
        return attempt >= 0 && attempt < NUMBERS.length ? NUMBERS[attempt] : Integer.toString(attempt);
    }

    static String hedge(boolean hedge) {
        return hedge ? "true" : "false";
    }

    /** How many headers an attempt carries: two, the request id unless the request has its own, the timeout if any. */
    static int count(String requestId, String timeout) {
        return (requestId == null ? 2 : 3) + (timeout == null ? 0 : 1);
    }

    /** Which of request id (0), attempt (1), hedge (2) and timeout (3) the i-th header in sending order is. */
    static int kind(String requestId, int i) {
        return requestId == null ? i + 1 : i;
    }

    static String name(TaggingHeaders names, int kind) {
        return kind == 0 ? names.requestId() : kind == 1 ? names.attempt() : kind == 2 ? names.hedge() : names.timeout();
    }

    @Override
    public int size() {
        return count(requestId, timeout);
    }

    /** The i-th header's name, in sending order. */
    private String name(int i) {
        return name(names, kind(requestId, i));
    }

    private String value(int i) {
        int k = kind(requestId, i);
        return k == 0 ? requestId : k == 1 ? attempt : k == 2 ? hedge : timeout;
    }

    @Override
    public String get(Object key) {
        for (int i = 0; i < size(); i++) {
            if (name(i).equals(key)) {
                return value(i);
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
        for (int i = 0; i < size(); i++) {
            action.accept(name(i), value(i));
        }
    }

    /** The names, without an entry object per header as the default view would make. */
    @Override
    public Set<String> keySet() {
        return new AbstractSet<String>() {
            @Override
            public int size() {
                return AttemptHeaders.this.size();
            }

            @Override
            public Iterator<String> iterator() {
                return new Iterator<String>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < AttemptHeaders.this.size();
                    }

                    @Override
                    public String next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        return name(next++);
                    }
                };
            }
        };
    }

    @Override
    public Set<Map.Entry<String, String>> entrySet() {
        return new AbstractSet<Map.Entry<String, String>>() {
            @Override
            public int size() {
                return AttemptHeaders.this.size();
            }

            @Override
            public Iterator<Map.Entry<String, String>> iterator() {
                return new Iterator<Map.Entry<String, String>>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < AttemptHeaders.this.size();
                    }

                    @Override
                    public Map.Entry<String, String> next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return new SimpleImmutableEntry<>(name(i), value(i));
                    }
                };
            }
        };
    }
}
