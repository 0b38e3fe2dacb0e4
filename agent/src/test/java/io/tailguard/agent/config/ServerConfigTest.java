package io.tailguard.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerConfigTest {

    @Test
    void theServerSideIsOffUnlessConfiguredAndHasDocumentedDefaults() throws Exception {
        ServerConfig off = TestConfigs.parse("tailguard.mode=enforce").server();
        assertFalse(off.active());
        ServerConfig on = TestConfigs.parse("tailguard.server.coalesce.paths=/api/*, /health").server();
        assertTrue(on.active());
        assertEquals(64 * 1024, on.maxResponseBytes());
        assertFalse(on.anonymous());
        assertEquals(1000, on.maxInFlight());
        assertEquals(Duration.ZERO, on.replayTtl());
        assertEquals(10_000, on.replayMaxEntries());
        assertEquals(16 * 1024 * 1024, on.replayMaxBytes());
        assertEquals(0, on.maxConcurrency());
        assertEquals(Duration.ofSeconds(1), on.retryAfter());
        assertTrue(on.coalesces("/api/items/1"));
        assertTrue(on.coalesces("/api"));
        assertTrue(on.coalesces("/health"));
        assertFalse(on.coalesces("/apix"));
        assertFalse(on.coalesces("/health/deep"));
        assertTrue(TestConfigs.parse("tailguard.server.shed.max-concurrency=200").server().active());
        assertEquals(Duration.ZERO, on.maxQueueTime());
        assertFalse(on.dropExpired());
        ServerConfig queue = TestConfigs.parse("tailguard.server.shed.max-queue-time=250ms").server();
        assertTrue(queue.active());
        assertEquals(Duration.ofMillis(250), queue.maxQueueTime());
        assertEquals(Duration.ZERO, queue.originalMaxQueueTime(), "originals are not bounded unless asked");
        assertEquals(Duration.ofMillis(250), queue.retryQueueBound());
        assertTrue(TestConfigs.parse("tailguard.server.drop-expired=true").server().dropExpired());
        assertTrue(TestConfigs.parse("tailguard.server.drop-expired=true").server().active());
        assertFalse(TestConfigs.parse("tailguard.server.drop-expired=false").server().active());
        assertEquals("X-Request-Timeout-Ms", TestConfigs.parse("tailguard.mode=enforce").taggingHeaders().timeout());
        assertEquals("X-Deadline", TestConfigs.parse("tailguard.tagging.timeout-header=X-Deadline")
                .taggingHeaders().timeout());
    }

    @Test
    void badQueueAndExpiryValuesNameTheKeyAndTheExpectedForm() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.server.shed.max-queue-time=soon",
                "tailguard.server.drop-expired=maybe",
                "tailguard.tagging.timeout-header=X Timeout"));
        String message = e.getMessage();
        assertEquals(3, e.problems().size(), message);
        assertTrue(message.contains("tailguard.server.shed.max-queue-time: 'soon' (from test) is not valid; expected "
                + "0 (off) or a duration"), message);
        assertTrue(message.contains("tailguard.server.drop-expired"), message);
        assertTrue(message.contains("tailguard.tagging.timeout-header"), message);
        assertTrue(message.contains("an HTTP header name"), message);
    }

    @Test
    void theOriginalsQueueBoundIsOptInAndRetriesGetTheSmallerOfTheTwo() throws Exception {
        ServerConfig originals = TestConfigs.parse("tailguard.server.shed.original-max-queue-time=250ms").server();
        assertTrue(originals.active());
        assertEquals(Duration.ofMillis(250), originals.originalMaxQueueTime());
        assertEquals(Duration.ofMillis(250), originals.retryQueueBound(), "retries are refused at least as readily");
        ServerConfig both = TestConfigs.parse("tailguard.server.shed.max-queue-time=500ms",
                "tailguard.server.shed.original-max-queue-time=200ms").server();
        assertEquals(Duration.ofMillis(500), both.maxQueueTime());
        assertEquals(Duration.ofMillis(200), both.retryQueueBound());
        ServerConfig retriesFirst = TestConfigs.parse("tailguard.server.shed.max-queue-time=100ms",
                "tailguard.server.shed.original-max-queue-time=250ms").server();
        assertEquals(Duration.ofMillis(100), retriesFirst.retryQueueBound());
        assertEquals(Duration.ofMillis(250), retriesFirst.originalMaxQueueTime());
        TestConfigs.parse("tailguard.server.shed.original-max-queue-time=1s", "tailguard.server.shed.retry-after=2s");
        assertFalse(TestConfigs.parse("tailguard.server.shed.original-max-queue-time=0").server().active());
    }

    @Test
    void aBadOriginalsQueueBoundNamesTheKeyAndTheExpectedForm() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.server.shed.original-max-queue-time=250"));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("tailguard.server.shed.original-max-queue-time: '250' (from test) is not "
                + "valid; expected 0 (off) or a duration: a number with the unit ms, s or m"), e.getMessage());
        InvalidConfigException typo = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.server.shed.original-max-queue-tme=250ms"));
        assertTrue(typo.getMessage().contains("did you mean tailguard.server.shed.original-max-queue-time?"),
                typo.getMessage());
    }

    @Test
    void badServerValuesNameTheKeyAndTheExpectedForm() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.server.coalesce.paths=api/*, /a/*/b",
                "tailguard.server.coalesce.max-response-bytes=lots",
                "tailguard.server.shed.max-concurrency=-1",
                "tailguard.server.shed.retry-after=500ms",
                "tailguard.server.replay.ttl=soon"));
        String message = e.getMessage();
        assertEquals(6, e.problems().size(), message);
        assertTrue(message.contains("tailguard.server.coalesce.paths"), message);
        assertTrue(message.contains("'api/*' is not a path pattern; expected a path starting with '/'"), message);
        assertTrue(message.contains("tailguard.server.coalesce.max-response-bytes"), message);
        assertTrue(message.contains("a whole number from 0 to 1000000"), message);
        assertTrue(message.contains("whole number of seconds"), message);
    }

    @Test
    void settingsThatCannotTakeEffectAreReported() throws Exception {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.server.replay.ttl=60s", "tailguard.server.shed.retry-after=2s"));
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("has no effect: coalescing and replay are off until "
                + "tailguard.server.coalesce.paths is set"), e.getMessage());
        assertTrue(e.getMessage().contains("shedding is off until tailguard.server.shed.max-concurrency, "
                + "tailguard.server.shed.max-queue-time or tailguard.server.shed.original-max-queue-time is set"),
                e.getMessage());
        TestConfigs.parse("tailguard.server.shed.max-queue-time=1s", "tailguard.server.shed.retry-after=2s");
    }

    @Test
    void aMisspeltServerKeyGetsASuggestion() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.server.shed.max-concurency=5"));
        assertTrue(e.getMessage().contains("did you mean tailguard.server.shed.max-concurrency?"), e.getMessage());
    }
}
