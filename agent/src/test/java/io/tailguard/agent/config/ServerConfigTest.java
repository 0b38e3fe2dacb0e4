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
    void settingsThatCannotTakeEffectAreReported() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.server.replay.ttl=60s", "tailguard.server.shed.retry-after=2s"));
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("has no effect: coalescing and replay are off until "
                + "tailguard.server.coalesce.paths is set"), e.getMessage());
    }

    @Test
    void aMisspeltServerKeyGetsASuggestion() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.server.shed.max-concurency=5"));
        assertTrue(e.getMessage().contains("did you mean tailguard.server.shed.max-concurrency?"), e.getMessage());
    }
}
