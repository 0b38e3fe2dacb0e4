package io.tailguard.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.RequestMetrics.RequestOutcome;
import org.junit.jupiter.api.Test;

class MicrometerMetersTest {

    @Test
    void publishesEveryTagCombinationFromTheFirstScrapeAndCountsEarlierRequests() {
        PendingDurations pending = new PendingDurations();
        PolicyMeters policy = new PolicyMeters("api", pending);
        // Before Micrometer exists: counted, and the duration kept for the timer.
        policy.attempt(AttemptKind.PRIMARY, false);
        policy.requestFinished(RequestOutcome.SUCCESS, 3_000_000);
        MicrometerMeters meters = new MicrometerMeters();
        meters.servePrometheus();

        DurationSink timers = meters.register(policy, name -> 12.5);
        pending.drainTo(timers);
        policy.durations(timers);
        policy.attempt(AttemptKind.PRIMARY, false);
        policy.attempt(AttemptKind.HEDGE, false);
        policy.attempt(AttemptKind.RETRY, true);
        policy.hedgeWon(AttemptKind.HEDGE);
        policy.budgetRefused(AttemptKind.RETRY);
        policy.notSent(AttemptKind.HEDGE);
        policy.bufferCommitted("too large");
        policy.requestFinished(RequestOutcome.SUCCESS, 5_000_000);
        String scrape = meters.scrape();

        for (String line : new String[] {
            "tailguard_requests_total{outcome=\"success\",policy=\"api\"} 2.0",
            "tailguard_requests_total{outcome=\"cancelled\",policy=\"api\"} 0.0",
            "tailguard_attempts_total{kind=\"primary\",policy=\"api\",shadow=\"false\"} 2.0",
            "tailguard_attempts_total{kind=\"hedge\",policy=\"api\",shadow=\"false\"} 1.0",
            "tailguard_attempts_total{kind=\"retry\",policy=\"api\",shadow=\"true\"} 1.0",
            "tailguard_attempts_total{kind=\"retry\",policy=\"api\",shadow=\"false\"} 0.0",
            "tailguard_hedge_wins_total{policy=\"api\",winner=\"hedge\"} 1.0",
            "tailguard_hedge_wins_total{policy=\"api\",winner=\"primary\"} 0.0",
            "tailguard_budget_refused_total{kind=\"retry\",policy=\"api\"} 1.0",
            "tailguard_budget_refused_total{kind=\"hedge\",policy=\"api\"} 0.0",
            "tailguard_attempts_not_sent_total{kind=\"hedge\",policy=\"api\"} 1.0",
            "tailguard_attempts_not_sent_total{kind=\"retry\",policy=\"api\"} 0.0",
            "tailguard_buffer_committed_total{policy=\"api\"} 1.0",
            "tailguard_hedge_delay_milliseconds{policy=\"api\"} 12.5",
            "tailguard_request_duration_seconds_count{outcome=\"success\",policy=\"api\"} 2",
            "tailguard_request_duration_seconds_sum{outcome=\"success\",policy=\"api\"} 0.008",
            "tailguard_request_duration_seconds{outcome=\"success\",policy=\"api\",quantile=\"0.99\"}",
        }) {
            assertTrue(scrape.contains(line + (line.endsWith("}") ? " " : "\n")), line + " in\n" + scrape);
        }
        assertTrue(!scrape.contains("kind=\"primary\",policy=\"api\",shadow=\"true\""), scrape);
    }
}
