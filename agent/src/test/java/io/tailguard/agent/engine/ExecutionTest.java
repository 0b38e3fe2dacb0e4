package io.tailguard.agent.engine;

import static io.tailguard.agent.engine.ScriptedExchange.response;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.config.TestConfigs;
import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The engine's rules, one at a time, with a scripted client and time that moves on command. */
class ExecutionTest {

    private final ManualTime time = new ManualTime();
    private final List<Throwable> internalFailures = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private final Engine engine = new Engine(time, time, Runnable::run, new RandomSource() {
        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }

        @Override
        public long nextLong() {
            return 42;
        }
    }, internalFailures::add);
    private final ScriptedExchange exchange = new ScriptedExchange();

    private static final String[] BASE = {
        "tailguard.policy.api.hosts=api",
        "tailguard.policy.api.retry.backoff.initial=100ms",
        "tailguard.policy.api.retry.backoff.max=1s",
        "tailguard.policy.api.retry.backoff.adaptive=false",
        "tailguard.policy.api.tagging=true",
    };

    private Execution<ScriptedExchange.Response> start(String... extra) throws Exception {
        String[] lines = new String[BASE.length + extra.length];
        System.arraycopy(BASE, 0, lines, 0, BASE.length);
        System.arraycopy(extra, 0, lines, BASE.length, extra.length);
        engine.useMetrics(policy -> new RequestMetrics() {
            @Override
            public void attempt(AttemptKind kind, boolean shadow) {
                events.add((shadow ? "would-" : "") + kind.label());
            }

            @Override
            public void budgetRefused(AttemptKind kind) {
                events.add("refused-" + kind.label());
            }

            @Override
            public void notSent(AttemptKind kind) {
                events.add("not-sent-" + kind.label());
            }

            @Override
            public void hedgeWon(AttemptKind winner) {
                events.add("won-" + winner.label());
            }

            @Override
            public void requestFinished(RequestOutcome outcome, long durationNanos) {
                events.add("finished-" + outcome.label());
            }

            @Override
            public void bufferCommitted(String why) {
                events.add("committed");
            }
        });
        engine.configure(TestConfigs.parse(lines));
        Execution<ScriptedExchange.Response> execution = engine.newExecution(engine.policyFor("api", 80), exchange,
                false);
        assertNotNull(execution, "the policy should act on this request");
        execution.start();
        return execution;
    }

    private static ScriptedExchange.Response result(Execution<ScriptedExchange.Response> execution) throws Exception {
        assertTrue(execution.result().isDone(), "the request should have ended");
        return execution.result().get();
    }

    private static Throwable failure(Execution<ScriptedExchange.Response> execution) {
        assertTrue(execution.result().isDone(), "the request should have ended");
        return assertThrows(ExecutionException.class, () -> execution.result().get()).getCause();
    }

    @Test
    void retriesATransientStatusAfterBackoffAndDeliversTheSuccess() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        ScriptedExchange.Response busy = response(503);
        exchange.attempt(1).answer(busy);
        assertEquals(1, exchange.attempts(), "the retry waits for its backoff");
        time.advanceMillis(100);
        assertEquals(2, exchange.attempts());
        assertEquals(AttemptKind.RETRY, exchange.attempt(2).spec.kind());
        ScriptedExchange.Response ok = response(200);
        exchange.attempt(2).answer(ok);
        assertSame(ok, result(execution));
        assertEquals(List.of(busy), exchange.discarded);
        assertEquals(List.of("primary", "retry", "finished-success"), events);
    }

    @Test
    void aNonRetryableStatusEndsTheRequestAtOnce() throws Exception {
        for (int status : new int[] {400, 404, 500, 501}) {
            ScriptedExchange fresh = new ScriptedExchange();
            engine.configure(TestConfigs.parse(BASE));
            Execution<ScriptedExchange.Response> execution = engine.newExecution(engine.policyFor("api", 80), fresh,
                    false);
            execution.start();
            fresh.attempt(1).answer(status);
            assertEquals(status, result(execution).status);
            time.advanceMillis(5_000);
            assertEquals(1, fresh.attempts());
        }
    }

    @Test
    void deliversTheLastResponseWhenAttemptsRunOut() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        List<ScriptedExchange.Response> answers = List.of(response(503), response(502), response(504));
        for (int i = 0; i < 3; i++) {
            time.advanceMillis(1_000);
            exchange.attempt(i + 1).answer(answers.get(i));
        }
        assertSame(answers.get(2), result(execution));
        assertEquals(answers.subList(0, 2), exchange.discarded);
        assertEquals(3, exchange.attempts());
    }

    @Test
    void throwsTheLastFailureWithTheEarlierOnesSuppressed() {
        Execution<ScriptedExchange.Response> execution = startQuietly();
        IOException first = new IOException("reset 1");
        ConnectException second = new ConnectException("refused");
        IOException third = new IOException("reset 3");
        exchange.attempt(1).fail(first);
        time.advanceMillis(1_000);
        exchange.attempt(2).fail(second);
        time.advanceMillis(1_000);
        exchange.attempt(3).fail(third);
        assertSame(third, failure(execution));
        assertEquals(List.of(first, second), List.of(third.getSuppressed()));
    }

    @Test
    void neverRetriesAFailureThatIsNotTransient() {
        Execution<ScriptedExchange.Response> execution = startQuietly();
        IllegalStateException bad = new IllegalStateException("TLS says no");
        exchange.attempt(1).fail(bad);
        assertSame(bad, failure(execution));
        time.advanceMillis(5_000);
        assertEquals(1, exchange.attempts());
    }

    @Test
    void retriesOnlyTheOutcomesListedInRetryOn() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.retry.on=connect,503");
        exchange.attempt(1).fail(new ConnectException("refused"));
        time.advanceMillis(1_000);
        exchange.attempt(2).fail(new IOException("reset"));
        assertEquals("reset", failure(execution).getMessage());
        assertEquals(2, exchange.attempts());
    }

    @Test
    void doesNotTakeOnAPostWithoutIdempotencyKey() throws Exception {
        exchange.method = "POST";
        engine.configure(TestConfigs.parse("tailguard.policy.api.hosts=api"));
        assertEquals(null, engine.newExecution(engine.policyFor("api", 80), exchange, false),
                "nothing to do for a POST when tagging is off: the client sends it untouched");
    }

    @Test
    void sendsATaggedPostOnceAndNeverRetriesIt() throws Exception {
        exchange.method = "POST";
        Execution<ScriptedExchange.Response> execution = start();
        exchange.attempt(1).answer(503);
        time.advanceMillis(5_000);
        assertEquals(503, result(execution).status);
        assertEquals(1, exchange.attempts());
    }

    @Test
    void eachAttemptSaysWhichStatusesTheEngineRetriesItselfSoAClientsOwnRetryStandsAsideOnlyThere()
            throws Exception {
        start("tailguard.policy.api.retry.on=connect,503");
        assertTrue(exchange.attempt(1).spec.engineRetriesStatus(503));
        assertFalse(exchange.attempt(1).spec.engineRetriesStatus(429), "not in retry.on: the client's to retry");
        assertFalse(exchange.attempt(1).spec.engineRetriesStatus(200));
    }

    @Test
    void aRequestTheEngineWillNotRetryLeavesEveryStatusToTheClient() throws Exception {
        exchange.method = "POST";
        start();
        assertFalse(exchange.attempt(1).spec.engineRetriesStatus(503), "POST without Idempotency-Key");
    }

    @Test
    void aBodyThatCannotBeReplayedLeavesEveryStatusToTheClient() throws Exception {
        exchange.method = "PUT";
        exchange.replayable = false;
        start();
        assertFalse(exchange.attempt(1).spec.engineRetriesStatus(503));
    }

    @Test
    void aSingleAttemptPolicyLeavesEveryStatusToTheClient() throws Exception {
        start("tailguard.policy.api.retry.max-attempts=1", "tailguard.policy.api.hedge.delay=50ms");
        assertFalse(exchange.attempt(1).spec.engineRetriesStatus(503));
    }

    @Test
    void shadowModeLeavesEveryStatusToTheClient() throws Exception {
        start("tailguard.mode=shadow");
        assertFalse(exchange.attempt(1).spec.engineRetriesStatus(503));
    }

    @Test
    void retriesAPostThatCarriesAnIdempotencyKey() throws Exception {
        exchange.method = "POST";
        exchange.requestHeaders.put("Idempotency-Key", "k-1");
        Execution<ScriptedExchange.Response> execution = start();
        exchange.attempt(1).answer(503);
        time.advanceMillis(1_000);
        exchange.attempt(2).answer(201);
        assertEquals(201, result(execution).status);
    }

    @Test
    void neverReplaysABodyThatCannotBeReplayed() throws Exception {
        exchange.method = "PUT";
        exchange.replayable = false;
        Execution<ScriptedExchange.Response> execution = start();
        exchange.attempt(1).answer(503);
        time.advanceMillis(5_000);
        assertEquals(1, exchange.attempts());
        assertEquals(503, result(execution).status);
    }

    @Test
    void retryAfterReplacesTheComputedBackoff() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        exchange.attempt(1).answer(response(503).header("Retry-After", "2"));
        time.advanceMillis(1_999);
        assertEquals(1, exchange.attempts());
        time.advanceMillis(1);
        assertEquals(2, exchange.attempts());
        exchange.attempt(2).answer(200);
        assertEquals(200, result(execution).status);
    }

    @Test
    void aRetryRefusedByAnOverloadedServerIsNotRetriedAgain() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.retry.max-attempts=3");
        exchange.attempt(1).answer(503);
        time.advanceMillis(5_000);
        assertEquals(2, exchange.attempts());
        ScriptedExchange.Response shed = response(503).header("Retry-After", "1").header("Tailguard-Shed", "1");
        exchange.attempt(2).answer(shed);
        time.advanceMillis(5_000);
        assertEquals(2, exchange.attempts(), "the refusal is final");
        assertSame(shed, result(execution));
    }

    @Test
    void aHedgeRefusedByAnOverloadedServerIsALostAttemptAndThePrimaryAnswers() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms",
                "tailguard.policy.api.hedge.max-attempts=3", "tailguard.policy.api.retry.max-attempts=3");
        time.advanceMillis(50);
        assertEquals(2, exchange.attempts());
        exchange.attempt(2).answer(response(503).header("Retry-After", "1").header("Tailguard-Shed", "1"));
        assertFalse(execution.result().isDone(), "the primary still runs");
        time.advanceMillis(1_000);
        assertEquals(2, exchange.attempts(), "no further hedge once the server said it is overloaded");
        exchange.attempt(1).answer(200);
        assertEquals(200, result(execution).status);
    }

    @Test
    void aHedgeThatFailsAfterThePrimarysRetryableResponseIsALostAttemptAndThePrimaryIsRetried() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms",
                "tailguard.policy.api.retry.max-attempts=3");
        time.advanceMillis(50);
        exchange.attempt(1).answer(503);
        assertFalse(execution.result().isDone(), "the hedge may still answer");
        // What an Apache client's hedge gets when the pool has no connection for it at once.
        exchange.attempt(2).fail(new IllegalStateException("Timeout deadline: 10 MILLISECONDS, actual: 11 MILLISECONDS"));
        assertFalse(execution.result().isDone(), "the hedge's failure is not the request's outcome");
        time.advanceMillis(100);
        assertEquals(3, exchange.attempts());
        assertEquals(AttemptKind.RETRY, exchange.attempt(3).spec.kind());
        exchange.attempt(3).answer(200);
        assertEquals(200, result(execution).status);
    }

    @Test
    void aHedgeThatFailsLeavesThePrimarysResponseWhenNoRetryIsLeft() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms",
                "tailguard.policy.api.retry.max-attempts=2");
        time.advanceMillis(50);
        ScriptedExchange.Response busy = response(503);
        exchange.attempt(1).answer(busy);
        exchange.attempt(2).fail(new IllegalStateException("no connection for the hedge"));
        assertSame(busy, result(execution), "what the application would have had without the agent");
        assertEquals(List.of(), exchange.discarded);
    }

    @Test
    void aHedgeThatFailsAfterThePrimarysRetryableFailureLeavesThatFailureToDecide() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms",
                "tailguard.policy.api.retry.max-attempts=3");
        time.advanceMillis(50);
        exchange.attempt(1).fail(new ConnectException("refused"));
        exchange.attempt(2).fail(new IllegalStateException("no connection for the hedge"));
        time.advanceMillis(100);
        assertEquals(3, exchange.attempts(), "the primary's connect failure is retried");
        exchange.attempt(3).answer(200);
        assertEquals(200, result(execution).status);
    }

    @Test
    void aHedgeTheClientCouldNotSendGivesBackItsBudgetTokenSoThePrimarysRetryMayHaveIt() throws Exception {
        // One token in all: the hedge takes it; without it back, the primary's 503 could not be retried.
        Execution<ScriptedExchange.Response> execution = start("tailguard.budget.ratio=0",
                "tailguard.budget.min-per-second=0.1", "tailguard.budget.ttl=10s",
                "tailguard.policy.api.hedge.delay=50ms", "tailguard.policy.api.retry.max-attempts=3");
        time.advanceMillis(50);
        assertEquals(2, exchange.attempts());
        exchange.attempt(2).fail(new ScriptedExchange.NoConnection());
        assertTrue(events.contains("not-sent-hedge"), events.toString());
        exchange.attempt(1).answer(503);
        time.advanceMillis(100);
        assertEquals(3, exchange.attempts(), events.toString());
        assertEquals(AttemptKind.RETRY, exchange.attempt(3).spec.kind());
        exchange.attempt(3).answer(200);
        assertEquals(200, result(execution).status);
        assertFalse(events.contains("refused-retry"), events.toString());
    }

    @Test
    void aHedgeTheClientCouldNotSendLeavesTheAdaptiveBackoffAsItWas() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms",
                "tailguard.policy.api.retry.backoff.adaptive=true");
        Backoff backoff = engine.policyFor("api", 80).backoff();
        time.advanceMillis(50);
        exchange.attempt(2).fail(new ScriptedExchange.NoConnection());
        assertEquals(1.0, backoff.successRate(), "the dependency did nothing wrong");
        exchange.attempt(1).fail(new ConnectException("refused"));
        assertTrue(backoff.successRate() < 1.0, "the primary's failure is the dependency's");
        time.advanceMillis(1_000);
        exchange.attempt(3).answer(200);
        assertEquals(200, result(execution).status);
    }

    @Test
    void whenBothFailTheRequestFailsWithThePrimarysFailureAndTheHedgesSuppressed() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(50);
        IllegalStateException hedgeFailure = new IllegalStateException("no connection for the hedge");
        exchange.attempt(2).fail(hedgeFailure);
        assertFalse(execution.result().isDone(), "the primary still runs");
        IllegalStateException primaryFailure = new IllegalStateException("the primary's own failure");
        exchange.attempt(1).fail(primaryFailure);
        assertSame(primaryFailure, failure(execution));
        assertEquals(List.of(hedgeFailure), List.of(primaryFailure.getSuppressed()));
    }

    @Test
    void aRetryAfterBeyondTheDeadlineMeansNoRetry() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.retry.timeout=5s");
        ScriptedExchange.Response busy = response(503).header("Retry-After", "30");
        exchange.attempt(1).answer(busy);
        assertSame(busy, result(execution));
        assertEquals(0, time.pendingTasks());
    }

    @Test
    void noAttemptStartsAfterTheDeadline() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.retry.timeout=1s");
        time.advanceMillis(950);
        exchange.attempt(1).answer(503);
        assertEquals(503, result(execution).status, "a 100 ms backoff would end past the 1 s deadline");
        assertEquals(1, exchange.attempts());
    }

    @Test
    void theApplicationsOwnTimeoutBoundsTheDeadline() throws Exception {
        exchange.clientTimeoutNanos = 500_000_000L;
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.retry.timeout=10s");
        time.advanceMillis(450);
        exchange.attempt(1).answer(503);
        assertEquals(503, result(execution).status);
        assertTrue(exchange.attempt(1).spec.clientTimeoutNanos() <= 500_000_000L);
    }

    @Test
    void hedgesAfterTheDelayAndTheFirstResponseWins() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(49);
        assertEquals(1, exchange.attempts());
        time.advanceMillis(1);
        assertEquals(2, exchange.attempts());
        ScriptedExchange.Sent hedge = exchange.attempt(2);
        assertEquals(AttemptKind.HEDGE, hedge.spec.kind());
        assertEquals("true", hedge.spec.headers().get("X-Is-Hedge"));
        assertEquals("2", hedge.spec.headers().get("X-Attempt"));
        hedge.answer(200);
        assertEquals(200, result(execution).status);
        assertTrue(exchange.attempt(1).cancelled, "the slower primary is cancelled");
        assertFalse(hedge.cancelled);
        exchange.attempt(1).answer(200);
        assertEquals(1, exchange.discarded.size(), "a loser that answers anyway is discarded");
        assertEquals(List.of("primary", "hedge", "finished-success", "won-hedge"), events);
    }

    @Test
    void theApplicationHasItsResultBeforeTheRequestIsCountedOrItsHedgeTimerCancelled() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=1s");
        List<String> seenByTheApplication = new ArrayList<>();
        int[] timersSeenByTheApplication = new int[1];
        execution.result().whenComplete((response, failure) -> {
            seenByTheApplication.addAll(events);
            timersSeenByTheApplication[0] = time.pendingTasks();
        });
        assertEquals(1, time.pendingTasks(), "the hedge timer is armed");

        assertEquals(HeaderDecision.DELIVER, exchange.attempt(1).listener.onHeaders(200));
        assertEquals(1, time.pendingTasks(), "nothing but the decision between a response's head and the application");
        exchange.attempt(1).answer(200);

        assertEquals(200, result(execution).status);
        assertEquals(List.of("primary"), seenByTheApplication, "counting waits until the application has its result");
        assertEquals(1, timersSeenByTheApplication[0], "so does cancelling the hedge timer");
        assertEquals(List.of("primary", "finished-success"), events);
        assertEquals(0, time.pendingTasks(), "no timer is left behind");
        time.advanceMillis(1_000);
        assertEquals(1, exchange.attempts(), "and no hedge is sent");
    }

    @Test
    void aLosingAttemptThatCanFinishOnItsOwnIsLeftToFinishUntilTheDeadline() throws Exception {
        exchange.losersFinish = true;
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms",
                "tailguard.policy.api.retry.timeout=2s");
        time.advanceMillis(50);
        exchange.attempt(2).listener.onHeaders(200);
        exchange.attempt(2).answer(200);
        assertEquals(200, result(execution).status);
        ScriptedExchange.Sent primary = exchange.attempt(1);
        assertTrue(primary.lost, "the primary lost to the hedge");
        assertFalse(primary.cancelled, "and is left to finish, keeping its connection");
        time.advanceMillis(1_900);
        assertFalse(primary.cancelled);
        time.advanceMillis(100);
        assertTrue(primary.cancelled, "a loser still running at the request's deadline is aborted");
        primary.fail(new IOException("cancelled"));
        assertEquals(200, result(execution).status);
        assertEquals(List.of("primary", "hedge", "finished-success", "won-hedge"), events);
    }

    @Test
    void aLoserThatEndsBeforeTheDeadlineIsNotCancelledAndItsResponseIsDropped() throws Exception {
        exchange.losersFinish = true;
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(50);
        exchange.attempt(1).answer(200);
        assertTrue(exchange.attempt(2).lost);
        ScriptedExchange.Response late = response(200);
        exchange.attempt(2).answer(late);
        time.advanceMillis(60_000);
        assertFalse(exchange.attempt(2).cancelled);
        assertEquals(List.of(late), exchange.discarded);
        assertEquals(200, result(execution).status);
    }

    @Test
    void anApplicationCancelAbortsEveryAttemptEvenWhereLosersMayFinish() throws Exception {
        exchange.losersFinish = true;
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(50);
        execution.cancel();
        assertTrue(exchange.attempt(1).cancelled);
        assertTrue(exchange.attempt(2).cancelled);
    }

    @Test
    void tellsTheAdapterWhetherAnAttemptMayHaveAHedgeBesideIt() throws Exception {
        start("tailguard.policy.api.hedge.delay=50ms");
        assertTrue(exchange.attempt(1).spec.mayBeHedged());
        ScriptedExchange plain = new ScriptedExchange();
        engine.configure(TestConfigs.parse(BASE));
        engine.newExecution(engine.policyFor("api", 80), plain, true).start();
        assertFalse(plain.attempt(1).spec.mayBeHedged());
    }

    @Test
    void aFailureOfOneAttemptDoesNotEndTheRequestWhileAnotherIsInFlight() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(50);
        exchange.attempt(2).answer(503);
        exchange.attempt(2).listener.onFailure(new IOException("late noise"));
        assertFalse(execution.result().isDone());
        exchange.attempt(1).answer(200);
        assertEquals(200, result(execution).status);
        assertEquals(List.of("primary", "hedge", "finished-success", "won-primary"), events);
    }

    @Test
    void anApplicationInterruptEndsTheRequestAtOnceAndCancelsTheOtherAttempts() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(50);
        InterruptedException interrupted = new InterruptedException();
        exchange.attempt(1).fail(interrupted);
        assertSame(interrupted, failure(execution));
        assertTrue(exchange.attempt(2).cancelled);
        time.advanceMillis(5_000);
        assertEquals(2, exchange.attempts());
    }

    @Test
    void whenEveryAttemptInFlightFailedTheRetryRulesDecide() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms",
                "tailguard.policy.api.retry.max-attempts=3");
        time.advanceMillis(50);
        exchange.attempt(1).fail(new IOException("reset"));
        exchange.attempt(2).answer(503);
        time.advanceMillis(100);
        assertEquals(3, exchange.attempts());
        assertEquals(AttemptKind.RETRY, exchange.attempt(3).spec.kind());
        time.advanceMillis(1_000);
        assertEquals(3, exchange.attempts(), "max-attempts counts hedges too: no hedge of the retry");
        exchange.attempt(3).answer(200);
        assertEquals(200, result(execution).status);
    }

    @Test
    void aPercentileDelayDoesNotHedgeBeforeTheWindowHasSamples() throws Exception {
        start("tailguard.policy.api.hedge.delay=p90", "tailguard.policy.api.hedge.min-samples=5");
        time.advanceMillis(5_000);
        assertEquals(1, exchange.attempts());
    }

    @Test
    void aRefusedRetryReturnsTheFailureAtOnceAndIsCounted() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.budget.ratio=0",
                "tailguard.budget.min-per-second=0");
        exchange.attempt(1).answer(503);
        assertEquals(503, result(execution).status);
        assertEquals(0, time.pendingTasks());
        assertTrue(events.contains("refused-retry"), events.toString());
    }

    @Test
    void aRefusedHedgeIsNotSent() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.budget.ratio=0",
                "tailguard.budget.min-per-second=0", "tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(500);
        assertEquals(1, exchange.attempts());
        assertTrue(events.contains("refused-hedge"), events.toString());
        exchange.attempt(1).answer(200);
        assertEquals(200, result(execution).status);
    }

    @Test
    void theBudgetTokenIsTakenWhenTheRetryIsGrantedNotWhenItLeaves() throws Exception {
        engine.configure(TestConfigs.parse("tailguard.policy.api.hosts=api", "tailguard.budget.ratio=0",
                "tailguard.budget.min-per-second=0.1", "tailguard.budget.ttl=10s"));
        ScriptedExchange one = new ScriptedExchange();
        ScriptedExchange two = new ScriptedExchange();
        Execution<ScriptedExchange.Response> first = engine.newExecution(engine.policyFor("api", 80), one, false);
        Execution<ScriptedExchange.Response> second = engine.newExecution(engine.policyFor("api", 80), two, false);
        first.start();
        second.start();
        one.attempt(1).answer(503);
        assertFalse(first.result().isDone(), "the single reserve token went to the first retry, now in backoff");
        two.attempt(1).answer(503);
        assertTrue(second.result().isDone(), "the budget was already drawn while the first retry waits");
    }

    @Test
    void shadowModeDecidesAndCountsButSendsNothingExtra() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.mode=shadow",
                "tailguard.policy.api.hedge.delay=50ms");
        assertTrue(exchange.attempt(1).spec.headers().isEmpty(), "no tagging headers in shadow mode");
        time.advanceMillis(60);
        assertEquals(1, exchange.attempts());
        exchange.attempt(1).answer(503);
        assertEquals(503, result(execution).status);
        time.advanceMillis(5_000);
        assertEquals(1, exchange.attempts());
        assertEquals(List.of("primary", "would-hedge", "would-retry", "finished-status_error"), events);
    }

    @Test
    void anAttemptTimeoutCancelsTheAttemptAndCountsAsATimeout() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.attempt-timeout=300ms");
        time.advanceMillis(300);
        assertTrue(exchange.attempt(1).cancelled);
        time.advanceMillis(100);
        assertEquals(2, exchange.attempts());
        exchange.attempt(1).fail(new IOException("Canceled"));
        exchange.attempt(2).answer(200);
        assertEquals(200, result(execution).status);
    }

    @Test
    void aTimedOutLastAttemptEndsWithTheClientsTimeoutNotACancel() throws Exception {
        ScriptedExchange cancelsAtOnce = new ScriptedExchange();
        cancelsAtOnce.cancelReportsAtOnce = true;
        engine.configure(TestConfigs.parse("tailguard.policy.api.hosts=api",
                "tailguard.policy.api.attempt-timeout=100ms", "tailguard.policy.api.retry.max-attempts=1",
                "tailguard.policy.api.tagging=true"));
        Execution<ScriptedExchange.Response> execution = engine.newExecution(engine.policyFor("api", 80),
                cancelsAtOnce, false);
        execution.start();
        time.advanceMillis(100);
        assertEquals("timeout", failure(execution).getMessage());
    }

    @Test
    void atTheStatusLineAWinnerIsChosenAndRetryableAnswersAreKept() throws Exception {
        start("tailguard.policy.api.hedge.delay=50ms");
        assertEquals(HeaderDecision.BUFFER, exchange.attempt(1).listener.onHeaders(503),
                "a retry may still follow: keep the body in case it becomes the answer");
        time.advanceMillis(50);
        assertEquals(HeaderDecision.DELIVER, exchange.attempt(2).listener.onHeaders(200));
        assertTrue(exchange.attempt(1).cancelled);
        assertEquals(HeaderDecision.DISCARD, exchange.attempt(1).listener.onHeaders(200));
    }

    @Test
    void onlyAStatusAPolicyMayRetryHasItsBodyHeldSoAdaptersNeedNoLengthForAnyOther() throws Exception {
        StringBuilder everyStatusAccepted = new StringBuilder("408,429");
        for (int status = 500; status <= 599; status++) {
            everyStatusAccepted.append(',').append(status);
        }
        start("tailguard.policy.api.retry.on=" + everyStatusAccepted);
        for (int status = 100; status <= 599; status++) {
            ScriptedExchange each = new ScriptedExchange();
            engine.newExecution(engine.policyFor("api", 80), each, false).start();
            HeaderDecision decision = each.attempt(1).listener.onHeaders(status, -1);
            assertEquals(Exchange.mayRetry(status), decision == HeaderDecision.BUFFER,
                    "status " + status + ": " + decision);
        }
    }

    @Test
    void aRetryableResponseAnnouncedLongerThanTheLimitIsCommittedAtItsHeaders() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.buffer.max-response-bytes=1k",
                "tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(50);
        assertEquals(2, exchange.attempts());
        assertEquals(HeaderDecision.DELIVER, exchange.attempt(1).listener.onHeaders(503, 1025));
        assertTrue(exchange.attempt(2).cancelled, "the hedge still in flight is cancelled");
        assertTrue(events.contains("committed"));
        ScriptedExchange.Response big = response(503);
        exchange.attempt(1).answer(big);
        exchange.attempt(2).fail(new IOException("Canceled"));
        assertSame(big, result(execution));
        time.advanceMillis(5_000);
        assertEquals(2, exchange.attempts(), "nothing more is sent");
        assertTrue(events.contains("won-primary"), "a committed response wins");
    }

    @Test
    void aRetryableResponseAnnouncedWithinTheLimitIsHeldAndRetried() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.buffer.max-response-bytes=1k");
        assertEquals(HeaderDecision.BUFFER, exchange.attempt(1).listener.onHeaders(503, 1024));
        assertTrue(exchange.attempt(1).listener.reserve(1024));
        assertEquals(1024, engine.buffers().held());
        exchange.attempt(1).answer(503);
        time.advanceMillis(100);
        assertEquals(2, exchange.attempts());
        exchange.attempt(2).answer(200);
        assertEquals(200, result(execution).status);
        assertEquals(0, engine.buffers().held(), "the discarded 503's bytes are released");
    }

    @Test
    void aBodyOfUnknownLengthIsHeldUpToTheLimitThenCommitted() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.buffer.max-response-bytes=1k");
        assertEquals(HeaderDecision.BUFFER, exchange.attempt(1).listener.onHeaders(503, -1));
        assertTrue(exchange.attempt(1).listener.reserve(1000));
        assertFalse(exchange.attempt(1).listener.reserve(25), "1025 bytes are more than the limit");
        assertEquals(HeaderDecision.DELIVER, exchange.attempt(1).listener.commit());
        assertEquals(0, engine.buffers().held(), "committed bytes belong to the application's response");
        exchange.attempt(1).answer(503);
        assertEquals(503, result(execution).status);
        time.advanceMillis(5_000);
        assertEquals(1, exchange.attempts());
        assertTrue(events.contains("committed"));
    }

    @Test
    void theJvmWideLimitCommitsAResponseThatWouldFitItsOwnLimit() throws Exception {
        start("tailguard.buffer.max-response-bytes=1k", "tailguard.buffer.max-total-bytes=1k");
        assertTrue(engine.buffers().tryReserve(600), "other requests hold 600 bytes");
        try {
            assertEquals(HeaderDecision.DELIVER, exchange.attempt(1).listener.onHeaders(503, 500),
                    "500 announced bytes do not fit in what is left");
        } finally {
            engine.buffers().release(600);
        }
    }

    @Test
    void whatAnAttemptHeldIsReleasedWhenItFailsOrLosesAndNeverGoesNegative() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms");
        assertEquals(HeaderDecision.BUFFER, exchange.attempt(1).listener.onHeaders(503, -1));
        assertTrue(exchange.attempt(1).listener.reserve(100));
        exchange.attempt(1).fail(new IOException("connection reset"));
        assertEquals(0, engine.buffers().held(), "a failed attempt's bytes are released");
        time.advanceMillis(100);
        assertEquals(2, exchange.attempts());
        assertEquals(HeaderDecision.BUFFER, exchange.attempt(2).listener.onHeaders(503, -1));
        assertTrue(exchange.attempt(2).listener.reserve(100));
        time.advanceMillis(50);
        assertEquals(3, exchange.attempts(), "a hedge joins the retry");
        assertEquals(HeaderDecision.DELIVER, exchange.attempt(3).listener.onHeaders(200, 10));
        assertFalse(exchange.attempt(2).listener.reserve(100), "the loser may hold nothing more");
        assertEquals(HeaderDecision.DISCARD, exchange.attempt(2).listener.commit());
        exchange.attempt(3).answer(200);
        exchange.attempt(2).answer(503);
        assertEquals(200, result(execution).status);
        assertEquals(0, engine.buffers().held());
    }

    @Test
    void anErrorOutOfABlockingAttemptStillEndsTheRequest() throws Exception {
        Engine blockingEngine = new Engine(time, time, Runnable::run, RandomSource.THREAD_LOCAL, internalFailures::add);
        blockingEngine.configure(TestConfigs.parse(BASE));
        ScriptedExchange throwing = new ScriptedExchange() {
            @Override
            public Attempt send(AttemptSpec spec, AttemptListener<Response> listener, java.util.concurrent.Executor work) {
                work.execute(() -> {
                    throw new OutOfMemoryError("Java heap space");
                });
                return () -> { };
            }
        };
        Execution<ScriptedExchange.Response> execution = blockingEngine.newExecution(
                blockingEngine.policyFor("api", 80), throwing, true);
        execution.start();
        OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, execution::await);
        assertEquals("Java heap space", thrown.getMessage());
        assertTrue(execution.result().isCompletedExceptionally(), "the request itself has its outcome");
    }

    @Test
    void aRetryableStatusIsDeliveredAtOnceWhenNothingCouldFollowIt() throws Exception {
        exchange.method = "POST";
        start();
        assertEquals(HeaderDecision.DELIVER, exchange.attempt(1).listener.onHeaders(503));
    }

    @Test
    void cancellingDuringBackoffEndsTheRequestAndSendsNothingMore() {
        Execution<ScriptedExchange.Response> execution = startQuietly();
        exchange.attempt(1).answer(503);
        execution.cancel();
        assertEquals("Canceled", failure(execution).getMessage());
        time.advanceMillis(5_000);
        assertEquals(1, exchange.attempts());
    }

    @Test
    void cancellingCancelsEveryAttemptInFlight() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(50);
        execution.cancel();
        assertTrue(exchange.attempt(1).cancelled);
        assertTrue(exchange.attempt(2).cancelled);
        exchange.attempt(1).fail(new IOException("Canceled"));
        assertFalse(execution.result().isDone(), "the request ends when its last attempt has");
        exchange.attempt(2).fail(new IOException("Canceled"));
        assertEquals("Canceled", failure(execution).getMessage());
        time.advanceMillis(5_000);
        assertEquals(2, exchange.attempts());
    }

    @Test
    void theApplicationCancellingTheResultCancelsTheAttempts() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        CompletableFuture<ScriptedExchange.Response> result = execution.result();
        result.cancel(true);
        assertTrue(exchange.attempt(1).cancelled);
    }

    @Test
    void whenDoneHearsOfTheResponseOnceTheRequestEnds() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        List<Object> heard = new ArrayList<>();
        execution.whenDone((response, failure) -> heard.add(failure == null ? response : failure));
        assertTrue(heard.isEmpty(), "not before the request ends");
        exchange.attempt(1).answer(200);
        assertEquals(List.of(result(execution)), heard);
    }

    @Test
    void whenDoneHearsOfTheFailureOnce() throws Exception {
        Execution<ScriptedExchange.Response> execution = start("tailguard.policy.api.retry.max-attempts=1");
        List<Object> heard = new ArrayList<>();
        execution.whenDone((response, failure) -> heard.add(failure == null ? response : failure));
        exchange.attempt(1).fail(new ConnectException("refused"));
        assertEquals(List.of(failure(execution)), heard);
    }

    @Test
    void whenDoneHearsOfTheApplicationCancellingTheResultOnce() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        List<Throwable> heard = new ArrayList<>();
        execution.whenDone((response, failure) -> heard.add(failure));
        execution.result().cancel(true);
        exchange.attempt(1).fail(new IOException("Canceled"));
        assertEquals(1, heard.size());
        assertTrue(heard.get(0) instanceof CancellationException, String.valueOf(heard));
    }

    @Test
    void theApplicationFailingTheResultWithACancellationCancelsTheAttempts() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        execution.result().completeExceptionally(new CancellationException("the application gave up"));
        assertTrue(exchange.attempt(1).cancelled);
    }

    @Test
    void theApplicationFailingTheResultOtherwiseLeavesTheAttempts() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        execution.result().completeExceptionally(new IOException("the application's own failure"));
        assertFalse(exchange.attempt(1).cancelled);
    }

    @Test
    void anInternalFailureEndsTheRequestWithTheAttemptsOwnOutcome() throws Exception {
        Execution<ScriptedExchange.Response> execution = start();
        exchange.statusFailure = new IllegalStateException("engine bug");
        ScriptedExchange.Response answer = response(503);
        exchange.attempt(1).answer(answer);
        exchange.statusFailure = null;
        assertSame(answer, result(execution));
        assertFalse(internalFailures.isEmpty(), "the bug is reported");
        time.advanceMillis(5_000);
        assertEquals(1, exchange.attempts());
    }

    @Test
    void everyAttemptCarriesTheSameGeneratedRequestId() throws Exception {
        start();
        exchange.attempt(1).answer(503);
        time.advanceMillis(1_000);
        String id = exchange.attempt(1).spec.headers().get("X-Request-ID");
        assertTrue(id.matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), id);
        assertEquals(id, exchange.attempt(2).spec.headers().get("X-Request-ID"));
        assertEquals("1", exchange.attempt(1).spec.headers().get("X-Attempt"));
        assertEquals("2", exchange.attempt(2).spec.headers().get("X-Attempt"));
        assertEquals("false", exchange.attempt(2).spec.headers().get("X-Is-Hedge"));
    }

    @Test
    void everyAttemptCarriesTheTimeTheClientStillWaitsForIt() throws Exception {
        start("tailguard.policy.api.retry.timeout=3s");
        assertEquals("3000", exchange.attempt(1).spec.headers().get("X-Request-Timeout-Ms"));
        time.advanceMillis(1_000);
        exchange.attempt(1).answer(503);
        time.advanceMillis(1_000);
        assertEquals("1900", exchange.attempt(2).spec.headers().get("X-Request-Timeout-Ms"),
                "3 s from the start, 1.1 s of them gone (100 ms of backoff)");
    }

    @Test
    void theClientsOwnTimeoutBoundsTheTimeTagged() throws Exception {
        exchange.clientTimeoutNanos = 500_000_000L;
        start("tailguard.policy.api.retry.timeout=3s");
        assertEquals("500", exchange.attempt(1).spec.headers().get("X-Request-Timeout-Ms"));
    }

    @Test
    void theAttemptTimeoutBoundsTheTimeTagged() throws Exception {
        start("tailguard.policy.api.retry.timeout=3s", "tailguard.policy.api.attempt-timeout=200ms");
        assertEquals("200", exchange.attempt(1).spec.headers().get("X-Request-Timeout-Ms"));
    }

    @Test
    void anApplicationRequestIdIsKept() throws Exception {
        exchange.requestHeaders.put("X-Request-ID", "mine");
        start();
        assertFalse(exchange.attempt(1).spec.headers().containsKey("X-Request-ID"),
                "the application's own header goes out unchanged");
    }

    @Test
    void theIndexedHeadersAreTheHeadersMapInSendingOrder() throws Exception {
        start("tailguard.policy.api.retry.timeout=3s");
        exchange.attempt(1).answer(503);
        time.advanceMillis(1_000);
        for (int n = 1; n <= 2; n++) {
            AttemptSpec spec = exchange.attempt(n).spec;
            Map<String, String> indexed = new LinkedHashMap<>();
            for (int i = 0; i < spec.headerCount(); i++) {
                indexed.put(spec.headerName(i), spec.headerValue(i));
            }
            assertEquals(List.of("X-Request-ID", "X-Attempt", "X-Is-Hedge", "X-Request-Timeout-Ms"),
                    new ArrayList<>(indexed.keySet()));
            assertEquals(new ArrayList<>(spec.headers().entrySet()), new ArrayList<>(indexed.entrySet()));
        }
    }

    @Test
    void everyTagValueIsPlainVisibleAsciiThatAnAdapterMayWriteAsItIs() throws Exception {
        start("tailguard.policy.api.retry.timeout=3s", "tailguard.policy.api.hedge.delay=50ms");
        time.advanceMillis(50);
        exchange.attempt(2).answer(503);
        exchange.attempt(1).answer(503);
        time.advanceMillis(1_000);
        assertEquals(3, exchange.attempts(), "a primary, its hedge and a retry");
        for (int n = 1; n <= 3; n++) {
            AttemptSpec spec = exchange.attempt(n).spec;
            assertEquals(4, spec.headerCount());
            for (int i = 0; i < spec.headerCount(); i++) {
                String value = spec.headerValue(i);
                assertFalse(value.isEmpty(), spec.headerName(i));
                assertTrue(value.chars().allMatch(c -> c > 0x20 && c < 0x7f), spec.headerName(i) + ": " + value);
            }
        }
    }

    @Test
    void anUntaggedAttemptHasNoIndexedHeaders() throws Exception {
        start("tailguard.policy.api.tagging=false");
        assertEquals(0, exchange.attempt(1).spec.headerCount());
        assertTrue(exchange.attempt(1).spec.headers().isEmpty());
    }

    private Execution<ScriptedExchange.Response> startQuietly() {
        try {
            return start();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
