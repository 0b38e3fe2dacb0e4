package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private static final long NOW = ZonedDateTime.of(2026, 11, 26, 12, 0, 0, 0, ZoneOffset.UTC)
            .toInstant().toEpochMilli();

    @Test
    void readsDelaySeconds() {
        assertEquals(1_000_000_000L, RetryAfter.parseNanos("1", NOW));
        assertEquals(120_000_000_000L, RetryAfter.parseNanos(" 120 ", NOW));
        assertEquals(0, RetryAfter.parseNanos("0", NOW));
    }

    @Test
    void readsAllThreeHttpDateForms() {
        assertEquals(30_000_000_000L, RetryAfter.parseNanos("Thu, 26 Nov 2026 12:00:30 GMT", NOW));
        assertEquals(30_000_000_000L, RetryAfter.parseNanos("Thursday, 26-Nov-26 12:00:30 GMT", NOW));
        assertEquals(30_000_000_000L, RetryAfter.parseNanos("Thu Nov 26 12:00:30 2026", NOW));
    }

    @Test
    void aDateInThePastMeansNow() {
        assertEquals(0, RetryAfter.parseNanos("Thu, 26 Nov 2026 11:00:00 GMT", NOW));
    }

    @Test
    void hostileValuesAreIgnoredOrSaturated() {
        assertEquals(RetryAfter.ABSENT, RetryAfter.parseNanos(null, NOW));
        assertEquals(RetryAfter.ABSENT, RetryAfter.parseNanos("", NOW));
        assertEquals(RetryAfter.ABSENT, RetryAfter.parseNanos("-5", NOW));
        assertEquals(RetryAfter.ABSENT, RetryAfter.parseNanos("soon", NOW));
        assertEquals(RetryAfter.ABSENT, RetryAfter.parseNanos("Thu, 99 Nov 2026 12:00:30 GMT", NOW));
        assertEquals(RetryAfter.ABSENT, RetryAfter.parseNanos("1".repeat(100), NOW));
        assertEquals(Long.MAX_VALUE, RetryAfter.parseNanos("99999999999999", NOW));
        String far = DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.US)
                .format(ZonedDateTime.of(9999, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
        assertEquals(true, RetryAfter.parseNanos(far, NOW) > 3_600_000_000_000L);
    }
}
