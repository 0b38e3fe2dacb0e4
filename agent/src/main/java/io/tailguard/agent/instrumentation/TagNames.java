package io.tailguard.agent.instrumentation;

import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * The tag names a client adapter may write past the client's own checks, each judged once. The
 * configured names are a few strings that come again, as the same instances, on every tagged
 * request: each verdict is remembered and found again by identity, where comparing the name with
 * a client's list of the headers it sets itself cost every tagged call a fraction of a µs.
 */
public final class TagNames {

    /** More names than a configuration has (four), and those of a few earlier ones after reloads. */
    private static final int MAX_REMEMBERED = 16;

    private final Predicate<String> writable;
    private volatile String[] passed = new String[0];
    private volatile String[] failed = new String[0];

    public TagNames(Predicate<String> writable) {
        this.writable = writable;
    }

    /** Names of plain visible ASCII that are none of {@code reserved}, compared regardless of case. */
    public static TagNames noneOf(List<String> reserved) {
        return new TagNames(new NoneOf(reserved));
    }

    /**
     * A class rather than a lambda: the tag writers of {@code HttpURLConnection} and OkHttp build
     * theirs in premain, on the application's thread, where the agent spins no lambda class.
     */
    private static final class NoneOf implements Predicate<String> {
        private final List<String> reserved;

        NoneOf(List<String> reserved) {
            this.reserved = reserved;
        }

        @Override
        public boolean test(String name) {
            if (!PlainText.plain(name)) {
                return false;
            }
            for (String own : reserved) {
                if (own.equalsIgnoreCase(name)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Whether the adapter may write a tag of this name itself. */
    public boolean writable(String name) {
        String[] known = passed;
        for (String checked : known) {
            if (checked == name) {
                return true;
            }
        }
        String[] refused = failed;
        for (String checked : refused) {
            if (checked == name) {
                return false;
            }
        }
        boolean verdict = writable.test(name);
        String[] remembered = verdict ? known : refused;
        String[] more;
        if (remembered.length < MAX_REMEMBERED) {
            more = Arrays.copyOf(remembered, remembered.length + 1);
            more[remembered.length] = name;
        } else {
            // Full after many reloads, each with names of its own: the current ones are remembered afresh.
            more = new String[] {name};
        }
        // Two threads adding a name at once may keep only one of them: the other is judged again next time.
        if (verdict) {
            passed = more;
        } else {
            failed = more;
        }
        return verdict;
    }
}
