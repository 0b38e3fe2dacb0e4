package io.tailguard.agent.engine;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;

/** Reads a {@code Retry-After} header: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
public final class RetryAfter {

    /** Returned when the header is absent or malformed: the computed backoff applies. */
    public static final long ABSENT = -1;

    /** The obsolete RFC 850 form; a two-digit year is read as 1970-2069. */
    private static final DateTimeFormatter RFC_850 = new DateTimeFormatterBuilder()
            .appendPattern("EEEE, dd-MMM-")
            .appendValueReduced(ChronoField.YEAR, 2, 2, 1970)
            .appendPattern(" HH:mm:ss zzz")
            .toFormatter(Locale.US);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

    private RetryAfter() {
    }

    /**
     * @return the delay in nanoseconds (0 for a date in the past, {@link Long#MAX_VALUE} for one
     *     too far to represent), or {@link #ABSENT}
     */
    public static long parseNanos(String value, long nowMillis) {
        if (value == null) {
            return ABSENT;
        }
        String v = value.trim();
        if (v.isEmpty() || v.length() > 64) {
            return ABSENT;
        }
        if (v.chars().allMatch(Character::isDigit)) {
            if (v.length() > 12) {
                return Long.MAX_VALUE;
            }
            long seconds = Long.parseLong(v);
            return seconds * 1_000_000_000L;
        }
        Long millis = parseDate(v);
        if (millis == null) {
            return ABSENT;
        }
        long delta = millis - nowMillis;
        if (delta <= 0) {
            return 0;
        }
        return delta >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : delta * 1_000_000L;
    }

    private static Long parseDate(String v) {
        for (DateTimeFormatter format : new DateTimeFormatter[] {DateTimeFormatter.RFC_1123_DATE_TIME, RFC_850}) {
            try {
                return ZonedDateTime.parse(v, format).toInstant().toEpochMilli();
            } catch (DateTimeParseException ignored) {
                // try the next form
            }
        }
        try {
            return java.time.LocalDateTime.parse(v, ASCTIME).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            return null;
        }
    }
}
