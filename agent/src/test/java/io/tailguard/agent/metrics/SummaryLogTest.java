package io.tailguard.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.RequestMetrics;
import io.tailguard.agent.engine.RequestMetrics.RequestOutcome;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.agent.server.ServerKind;
import io.tailguard.agent.server.ServerOutcome;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SummaryLogTest {

    private final ScheduledThreadPoolExecutor housekeeping = new ScheduledThreadPoolExecutor(1);
    private final Engine engine = TestConfigs.engine();
    private final TailguardMetrics metrics = new TailguardMetrics(engine, housekeeping);

    @AfterEach
    void stop() {
        housekeeping.shutdownNow();
    }

    /** A summary of the metrics of an engine with this configuration, its interval begun. */
    private SummaryLog started(Duration interval, String... config) throws Exception {
        engine.useMetrics(metrics);
        engine.configure(TestConfigs.config(config));
        SummaryLog summary = new SummaryLog(metrics);
        summary.restart(interval);
        return summary;
    }

    @Test
    void oneLineWithWhatEachActivePolicyDidInTheIntervalAndNothingWhenQuiet() throws Exception {
        SummaryLog summary = started(Duration.ofSeconds(60), "tailguard.policy.api.hosts=api.example.com",
                "tailguard.policy.api.hedge.delay=40ms", "tailguard.policy.idle.hosts=idle.example.com");
        assertNull(summary.nextLine());

        RequestMetrics api = metrics.forPolicy("api");
        for (int i = 0; i < 4; i++) {
            api.attempt(AttemptKind.PRIMARY, false);
        }
        api.attempt(AttemptKind.RETRY, false);
        api.attempt(AttemptKind.HEDGE, false);
        api.hedgeWon(AttemptKind.HEDGE);
        api.budgetRefused(AttemptKind.RETRY);
        for (int i = 0; i < 3; i++) {
            api.requestFinished(RequestOutcome.SUCCESS, 1_000_000);
        }
        api.requestFinished(RequestOutcome.STATUS_ERROR, 1_000_000);

        assertEquals("last 60s: api: 4 requests (success 3, status_error 1), 6 attempts (primary 4, retry 1, "
                + "hedge 1), amplification 1.50, hedge wins primary 0 hedge 1, budget refused retry 1 hedge 0, "
                + "hedge delay 40.0ms", summary.nextLine());
        assertNull(summary.nextLine(), "nothing happened since the last line");

        api.requestFinished(RequestOutcome.STATUS_ERROR, 1_000_000);
        api.bufferCommitted("a retryable response's body is longer than tailguard.buffer.max-response-bytes (65536)");
        assertTrue(summary.nextLine().contains("budget refused retry 0 hedge 0, too large to hold 1, hedge delay"),
                "a request committed to a response too large to hold is reported");

        api.attempt(AttemptKind.PRIMARY, false);
        assertEquals("last 60s: api: 0 requests, 1 attempt (primary 1), amplification n/a, hedge wins primary 0 "
                + "hedge 0, budget refused retry 0 hedge 0, hedge delay 40.0ms", summary.nextLine());
    }

    @Test
    void aSummaryOfAnApplicationThatServesNothingLeavesTheServerSideUnbuilt() throws Exception {
        SummaryLog summary = started(Duration.ofSeconds(60), "tailguard.policy.api.hosts=api.example.com");
        metrics.forPolicy("api").attempt(AttemptKind.PRIMARY, false);
        assertEquals("last 60s: api: 0 requests, 1 attempt (primary 1), amplification n/a, budget refused retry 0 "
                + "hedge 0", summary.nextLine());
        assertNull(engine.serverIfBuilt(), "the summary built the server side");

        engine.server();
        assertNull(summary.nextLine(), "a server side built since has served nothing");
    }

    @Test
    void attemptsThatNeverLeftAreNamedAndLeftOutOfTheAmplification() throws Exception {
        SummaryLog summary = started(Duration.ofSeconds(60), "tailguard.policy.api.hosts=api.example.com");
        RequestMetrics api = metrics.forPolicy("api");
        for (int i = 0; i < 2; i++) {
            api.attempt(AttemptKind.PRIMARY, false);
            api.attempt(AttemptKind.HEDGE, false);
            api.requestFinished(RequestOutcome.SUCCESS, 1);
        }
        api.notSent(AttemptKind.HEDGE);

        assertEquals("last 60s: api: 2 requests (success 2), 4 attempts (primary 2, hedge 2), 1 not sent (hedge 1), "
                + "amplification 1.50, budget refused retry 0 hedge 0", summary.nextLine());
    }

    @Test
    void shadowModeShowsWhatWouldHaveBeenSentNextToWhatWas() throws Exception {
        SummaryLog summary = started(Duration.ofMillis(1500), "tailguard.mode=shadow", "tailguard.policy.api.hosts=api.example.com",
                "tailguard.policy.search.hosts=search.example.com");
        RequestMetrics api = metrics.forPolicy("api");
        RequestMetrics search = metrics.forPolicy("search");
        api.attempt(AttemptKind.PRIMARY, false);
        api.attempt(AttemptKind.PRIMARY, false);
        api.attempt(AttemptKind.RETRY, true);
        api.attempt(AttemptKind.HEDGE, true);
        api.budgetRefused(AttemptKind.HEDGE);
        api.requestFinished(RequestOutcome.STATUS_ERROR, 1);
        api.requestFinished(RequestOutcome.SUCCESS, 1);
        search.attempt(AttemptKind.PRIMARY, false);
        search.requestFinished(RequestOutcome.FAILURE, 1);

        assertEquals("last 1500ms: api: 2 requests (success 1, status_error 1), 2 attempts (primary 2), "
                + "would send retry 1 hedge 1, amplification 1.00 (2.00 if enforced), budget refused retry 0 hedge 1"
                + " | search: 1 request (failure 1), 1 attempt (primary 1), amplification 1.00, budget refused "
                + "retry 0 hedge 0", summary.nextLine());
    }

    @Test
    void theServerSidesPartSaysWhatItDidWithTheRequestsItServed() {
        long[] delta = new long[ServerKind.values().length * ServerOutcome.values().length * 2 + 1];
        delta[ServerEngine.countIndex(ServerKind.PRIMARY, ServerOutcome.HANDLED, false)] = 100;
        delta[ServerEngine.countIndex(ServerKind.HEDGE, ServerOutcome.COALESCED, false)] = 15;
        delta[ServerEngine.countIndex(ServerKind.RETRY, ServerOutcome.REPLAYED, false)] = 3;
        delta[ServerEngine.countIndex(ServerKind.RETRY, ServerOutcome.SHED, false)] = 2;
        delta[ServerEngine.countIndex(ServerKind.HEDGE, ServerOutcome.SHED, true)] = 4;
        delta[delta.length - 1] = 4_200_000_000L;
        assertEquals("| server: 124 requests (handled 100, coalesced 15, replayed 3, shed 2), would have shed 4, "
                + "handler time saved 4.2s", SummaryLog.describeServer("| ", delta));
        assertNull(SummaryLog.describeServer("", new long[delta.length]));
    }

    @Test
    void durationTextIsSecondsWhenWhole() {
        assertEquals("60s", SummaryLog.text(Duration.ofSeconds(60)));
        assertEquals("250ms", SummaryLog.text(Duration.ofMillis(250)));
    }
}
