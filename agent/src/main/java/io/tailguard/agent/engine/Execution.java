package io.tailguard.agent.engine;

import io.tailguard.agent.config.HedgeConfig;
import io.tailguard.agent.config.Mode;
import io.tailguard.agent.config.PolicyConfig;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.config.TailguardConfig.TaggingHeaders;
import io.tailguard.agent.engine.Exchange.Attempt;
import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.RequestMetrics.RequestOutcome;
import io.tailguard.agent.engine.Scheduler.Cancellable;
import io.tailguard.agent.server.ServerEngine;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.BiConsumer;

/**
 * One logical request on its way through the engine: it sends the primary attempt, hedges it when
 * it is slow, retries when every attempt in flight failed transiently, and ends with exactly one
 * result for the application.
 *
 * <p>The rules, in the order they are applied:
 * <ul>
 *   <li>A response that is not a retryable failure wins at once; the other attempts lose: an
 *       adapter that can let them finish does (so their connections stay with the client), the
 *       others are cancelled, and their responses are discarded. A loser still running at the
 *       request's deadline is cancelled.
 *   <li>A retryable response is held (its body in memory, for clients that read it) only within
 *       {@code tailguard.buffer.max-response-bytes} and what is left of
 *       {@code tailguard.buffer.max-total-bytes} ({@link BufferBudget}); one that outgrows them,
 *       by its announced length or as it is read, is committed: it wins like any other answer.
 *   <li>A failure of one attempt does not end the request while another is in flight.
 *   <li>When every attempt in flight has failed, a retry is sent only if the outcome is listed in
 *       {@code retry.on}, the request may be repeated (method or {@code Idempotency-Key}, and a
 *       replayable body), fewer than {@code retry.max-attempts} attempts were sent, the retry can
 *       start before the deadline, and the budget grants a token (taken when the retry is
 *       granted, not when it leaves after its backoff).
 *   <li>A hedge is sent when no response arrived within the hedge delay, while fewer than
 *       {@code hedge.max-attempts} attempts are in flight, before the deadline, if the budget
 *       grants a token.
 *   <li>Otherwise the application gets the last attempt's outcome: its response, or its exception
 *       with the earlier attempts' exceptions attached as suppressed.
 * </ul>
 *
 * <p>State changes happen under this object's lock; calls into the client (send, cancel, discard)
 * and completing the result happen after the lock is released. Any failure of the engine's own
 * logic ends the request with the outcome of the attempt at hand, as the plain client would have.
 *
 * @param <R> the client's response type
 */
public final class Execution<R> extends Scheduler.Timer {

    private static final int NO_STATUS = -1;

    /** {@code AttemptState.reserved}: updated in place rather than through an AtomicLong per attempt. */
    @SuppressWarnings("rawtypes")
    private static final AtomicLongFieldUpdater<Execution.AttemptState> RESERVED =
            AtomicLongFieldUpdater.newUpdater(Execution.AttemptState.class, "reserved");

    private final Engine engine;
    private final PolicyRuntime policy;
    private final Exchange<R> exchange;
    private final boolean shadow;
    /**
     * The configuration this request started under: its tagging headers and buffer limits (one
     * reference for both, read where they are used).
     */
    private final TailguardConfig settings;
    private final String requestId;
    /** A {@link CallerRuns} when the application's thread waits in {@link #await()}. */
    private final CompletableFuture<R> result;
    private final long startNanos;
    private final long clientDeadlineNanos;
    private final boolean retryEligible;
    private final boolean hedgeEligible;

    // Guarded by this.
    private int started;
    /** The attempts in flight, oldest first, linked through {@code AttemptState.nextInFlight}: no list per request. */
    private AttemptState firstInFlight;
    private int inFlightCount;
    private AttemptState winner;
    private boolean finished;
    private boolean cancelled;
    private boolean hedged;
    /**
     * A server refused one of this request's attempts as overloaded ({@value ServerEngine#SHED_HEADER}):
     * no further attempt is sent, not even a hedge.
     */
    private boolean refusedByServer;
    /** What went wrong so far; {@code null} until something does, as for most requests. */
    private Setbacks<R> setbacks;
    /**
     * The hedge delay's timer is armed: this object is that timer ({@link Scheduler#arm}), so that
     * arming it for nearly every hedged request makes no object.
     */
    private boolean hedgeArmed;
    /** Told of the outcome when the request ends; see {@link #whenDone}. */
    private BiConsumer<? super R, ? super Throwable> onEnd;

    Execution(Engine engine, PolicyRuntime policy, Exchange<R> exchange, TailguardConfig settings,
            boolean retryEligible, boolean hedgeEligible, boolean blockingCaller) {
        this.engine = engine;
        this.policy = policy;
        this.exchange = exchange;
        this.settings = settings;
        this.shadow = settings.mode() == Mode.SHADOW;
        this.retryEligible = retryEligible;
        this.hedgeEligible = hedgeEligible;
        TaggingHeaders tagging = tagging();
        String existingId = tagging == null ? null : exchange.requestHeader(tagging.requestId());
        this.requestId = tagging == null || existingId != null ? null : RequestIds.next(engine.random());
        this.startNanos = engine.clock().nanoTime();
        this.clientDeadlineNanos = plus(startNanos, exchange.clientTimeoutNanos());
        // A blocking caller's result never reaches the application, which waits in await(): only
        // this class completes it (succeed, fail), and wakes the waiting thread as it does.
        this.result = blockingCaller ? new CallerRuns<>() : new Result();
    }

    /** Sends the primary attempt. A failure here means nothing was sent: the caller may fall back. */
    public void start() throws Exception {
        // The clock as read for the request's start, microseconds ago: one reading for the start,
        // the deposit and the primary's own start (each read costs tens of nanoseconds).
        policy.budget().deposit(startNanos);
        AttemptState primary = begin(AttemptKind.PRIMARY, startNanos);
        try {
            sendAttempt(primary);
        } catch (Throwable failure) {
            synchronized (this) {
                finished = true;
                firstInFlight = null;
                inFlightCount = 0;
            }
            throw failure;
        }
        afterLaunch(primary);
    }

    /**
     * Runs {@code action} with the request's outcome once it ends, as
     * {@code result().whenComplete(action)} would (on the thread that completes the result, an
     * exception it throws ignored), but without the dependent stage and completion record that
     * makes on every request: for an adapter that only needs to hear of the end. Must be called
     * before the request can end (before {@link #start()}), at most once.
     */
    public void whenDone(BiConsumer<? super R, ? super Throwable> action) {
        this.onEnd = action;
    }

    /** Whether the application's own timeout for the whole request ({@link Exchange#clientTimeoutNanos}) has run out. */
    public boolean clientDeadlinePassed() {
        return clientDeadlineNanos != Long.MAX_VALUE && engine.clock().nanoTime() - clientDeadlineNanos >= 0;
    }

    /** The result for an asynchronous API: the response, or the exception the client would give. */
    public CompletableFuture<R> result() {
        return result;
    }

    /**
     * Waits for the result on the application's thread, running the attempts of a blocking client
     * here while it waits.
     *
     * @throws Throwable the exception the plain client would have thrown
     */
    public R await() throws Throwable {
        CallerRuns<R> caller = caller();
        try {
            if (caller != null) {
                caller.runUntilDone(result);
            }
            return result.get();
        } catch (InterruptedException interrupted) {
            cancel();
            if (caller != null) {
                // An attempt handed to this thread but not started: it reports the cancellation,
                // so the request still ends with one outcome.
                caller.runPending();
            }
            Throwable failure = exchange.interruptedFailure(interrupted);
            if (!(failure instanceof InterruptedException)) {
                Thread.currentThread().interrupt();
            }
            throw failure;
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }

    /**
     * The application cancelled the request: no further attempt starts, the ones in flight are
     * cancelled, and the request ends with the failure the client reports for that.
     */
    public void cancel() {
        List<AttemptState> toCancel;
        Actions actions = new Actions();
        synchronized (this) {
            if (finished || cancelled) {
                return;
            }
            cancelled = true;
            disarmHedge();
            if (setbacks != null) {
                setbacks.retryTimer.cancel();
            }
            toCancel = othersInFlight(null);
            if (inFlightCount == 0) {
                finish(actions, null, null, exchange.cancelledFailure());
            }
        }
        for (AttemptState attempt : toCancel) {
            attempt.cancel();
        }
        actions.run();
    }

    // --- launching attempts

    private synchronized AttemptState begin(AttemptKind kind, long nowNanos) {
        AttemptState attempt = new AttemptState(++started, kind, nowNanos);
        addInFlight(attempt);
        if (kind == AttemptKind.HEDGE) {
            hedged = true;
        }
        return attempt;
    }

    private void sendAttempt(AttemptState attempt) throws Exception {
        policy.metrics().attempt(attempt.kind, false);
        // As of the attempt's start, read just before.
        long now = attempt.startNanos;
        attempt.clientTimeoutNanos = clientDeadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE
                : Math.max(1, clientDeadlineNanos - now);
        if (tagging() != null) {
            long waits = waitsMillis(now);
            attempt.timeoutText = waits < 0 ? null : policy.timeoutTexts().of(waits);
        }
        attempt.attach(exchange.send(attempt, attempt, attempt));
    }

    /** Sends a retry or a hedge; a failure to even send it ends the request with what it has. */
    private void launch(AttemptKind kind) {
        AttemptState attempt;
        synchronized (this) {
            if (finished || cancelled || winner != null) {
                return;
            }
            attempt = begin(kind, engine.clock().nanoTime());
        }
        try {
            sendAttempt(attempt);
        } catch (Throwable failure) {
            abandon(attempt, failure);
            return;
        }
        afterLaunch(attempt);
    }

    private void afterLaunch(AttemptState attempt) {
        long hedgeDelay = hedgeEligible ? policy.hedgeDelay().delayNanos() : HedgeDelay.NO_HEDGE;
        long attemptTimeout = config().attemptTimeout() == null ? 0 : config().attemptTimeout().toNanos();
        synchronized (this) {
            if (attempt.done || finished) {
                return;
            }
            if (attemptTimeout > 0) {
                attempt.timeoutTimer = engine.scheduler().schedule(() -> onAttemptTimeout(attempt), attemptTimeout);
            }
            if (hedgeDelay >= 0 && !hedgeArmed && winner == null && !cancelled
                    && inFlightCount < config().hedge().maxAttempts() && started < attemptCap()) {
                engine.scheduler().arm(this, hedgeDelay);
                hedgeArmed = true;
            }
        }
    }

    /**
     * How long the client still waits for an attempt sent now, in whole milliseconds (at least 1):
     * until the request's deadline, or the attempt timeout when that comes first; -1 when neither is set.
     */
    private long waitsMillis(long nowNanos) {
        long deadline = deadlineNanos();
        long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - nowNanos;
        if (config().attemptTimeout() != null) {
            left = Math.min(left, config().attemptTimeout().toNanos());
        }
        return left == Long.MAX_VALUE ? -1 : Math.max(1, left / 1_000_000L);
    }

    private long maxResponseBytes() {
        return settings.bufferLimits().maxResponseBytes();
    }

    private PolicyConfig config() {
        return policy.config();
    }

    /** Whether a policy's requests carry tags under this configuration: never in shadow mode. */
    static boolean tagged(PolicyConfig policy, TailguardConfig settings) {
        return policy.tagging() && settings.mode() != Mode.SHADOW;
    }

    /** The headers this request's attempts are tagged with, {@code null} when they are not. */
    private TaggingHeaders tagging() {
        return tagged(config(), settings) ? settings.taggingHeaders() : null;
    }

    /** The most attempts this request may send: retries and hedges each count against their own limit too. */
    private int attemptCap() {
        HedgeConfig hedge = config().hedge();
        return hedge == null ? config().maxAttempts() : Math.max(config().maxAttempts(), hedge.maxAttempts());
    }

    /** The application's waiting thread, which runs attempts while it waits; {@code null} for an asynchronous API. */
    @SuppressWarnings("unchecked")
    private CallerRuns<R> caller() {
        return result instanceof CallerRuns ? (CallerRuns<R>) result : null;
    }

    // --- timers

    /** Guarded by this: disarms the hedge timer now. */
    private void disarmHedge() {
        if (hedgeArmed) {
            hedgeArmed = false;
            engine.scheduler().disarm(this);
        }
    }

    /** The hedge delay is over. */
    @Override
    void due() {
        try {
            synchronized (this) {
                hedgeArmed = false;
                if (finished || cancelled || winner != null || inFlightCount == 0 || refusedByServer
                        || inFlightCount >= config().hedge().maxAttempts() || started >= attemptCap()
                        || engine.clock().nanoTime() >= deadlineNanos()) {
                    return;
                }
                if (!policy.budget().tryWithdraw()) {
                    policy.metrics().budgetRefused(AttemptKind.HEDGE);
                    return;
                }
                if (shadow) {
                    policy.metrics().attempt(AttemptKind.HEDGE, true);
                    return;
                }
            }
            launch(AttemptKind.HEDGE);
        } catch (Throwable bug) {
            engine.reportInternalFailure(bug);
        }
    }

    private void onAttemptTimeout(AttemptState attempt) {
        if (shadow) {
            onShadowAttemptTimeout(attempt);
            return;
        }
        synchronized (this) {
            if (attempt.done) {
                return;
            }
            attempt.timedOut = true;
        }
        // The timeout is reported before the cancel: cancelling can report the attempt's own
        // cancellation synchronously, and the application must see a timeout, not a cancel.
        attempt.onFailure(exchange.timeoutFailure(config().attemptTimeout()));
        attempt.cancel();
    }

    /**
     * Shadow mode never gives up on an attempt: cancelling it would hand the application a timeout
     * it does not get without the agent. Only the retry that enforcement would send now is counted
     * (once per request: what would follow that retry is unknowable).
     */
    private void onShadowAttemptTimeout(AttemptState attempt) {
        try {
            synchronized (this) {
                if (attempt.done || finished || cancelled || setbacks().shadowRetryCounted || !retryEligible
                        || !config().retryOnTimeout() || started >= config().maxAttempts()) {
                    return;
                }
                long delay = policy.backoff().delayNanos(setbacks.retries + 1, engine.random());
                if (plus(engine.clock().nanoTime(), delay) >= deadlineNanos()) {
                    return;
                }
                setbacks.shadowRetryCounted = true;
                if (policy.budget().tryWithdraw()) {
                    policy.metrics().attempt(AttemptKind.RETRY, true);
                } else {
                    policy.metrics().budgetRefused(AttemptKind.RETRY);
                }
            }
        } catch (Throwable bug) {
            engine.reportInternalFailure(bug);
        }
    }

    // --- outcomes

    /**
     * A retryable response is held (buffered) while another attempt may still answer, unless its
     * announced length is more than may be held: then it is committed at once, as the answer.
     */
    private HeaderDecision decideAtHeaders(AttemptState attempt, int status, long contentLength) {
        List<AttemptState> losers;
        String committed = null;
        synchronized (this) {
            if (finished || attempt.done || winner != null && winner != attempt) {
                return HeaderDecision.DISCARD;
            }
            if (config().retryOnStatus(status) && moreAttemptsPossible()) {
                if (contentLength < 0 || contentLength <= maxResponseBytes() && engine.buffers().fits(contentLength)) {
                    return HeaderDecision.BUFFER;
                }
                committed = "a retryable " + status + " response of " + contentLength + " bytes is more than "
                        + (contentLength > maxResponseBytes() ? "tailguard.buffer.max-response-bytes (" + maxResponseBytes()
                        + ")" : "the room left under tailguard.buffer.max-total-bytes");
            }
            // The hedge timer, now without effect (a winner is set), is cancelled when the request
            // ends, after the application has its result: not here, between the response's head
            // and the application's consumer.
            winner = attempt;
            losers = othersInFlight(attempt);
        }
        if (committed != null) {
            policy.metrics().bufferCommitted(committed);
        }
        for (AttemptState loser : losers) {
            loser.lose();
        }
        return HeaderDecision.DELIVER;
    }

    /** An attempt asks to hold {@code bytes} more of a retryable response's body. */
    private synchronized boolean reserve(AttemptState attempt, long bytes) {
        if (finished || attempt.done || winner != null || bytes < 0) {
            return false;
        }
        if (attempt.reserved + bytes > maxResponseBytes()) {
            attempt.overOwnLimit = true;
            return false;
        }
        if (!engine.buffers().tryReserve(bytes)) {
            return false;
        }
        RESERVED.getAndAdd(attempt, bytes);
        return true;
    }

    /**
     * A body being held outgrew a limit: the attempt becomes the answer (the request is committed,
     * nothing more is sent, the other attempts are cancelled), unless the request already has one.
     */
    private HeaderDecision commit(AttemptState attempt) {
        List<AttemptState> losers;
        long held;
        synchronized (this) {
            if (finished || attempt.done || winner != null && winner != attempt) {
                return HeaderDecision.DISCARD;
            }
            winner = attempt;
            disarmHedge();
            losers = othersInFlight(attempt);
            // What was held goes to the application with the rest of the body: no longer ours.
            held = attempt.releaseBuffer();
        }
        policy.metrics().bufferCommitted("a retryable response's body is longer than " + (attempt.overOwnLimit
                ? "tailguard.buffer.max-response-bytes (" + maxResponseBytes() + ")"
                : held + " bytes, all that tailguard.buffer.max-total-bytes has room for"));
        for (AttemptState loser : losers) {
            loser.lose();
        }
        return HeaderDecision.DELIVER;
    }

    /** Guarded by this: could another attempt still start or answer after this response? */
    private boolean moreAttemptsPossible() {
        return !shadow && (inFlightCount > 1 || hedgeArmed
                || retryEligible && started < config().maxAttempts());
    }

    private void onResponse(AttemptState attempt, R response) {
        if (FaultInjection.AT_OUTCOME) {
            FaultInjection.fail("while handling a response");
        }
        long latency = engine.clock().nanoTime() - attempt.startNanos;
        int status = exchange.status(response);
        boolean retryable = config().retryOnStatus(status);
        boolean usable = !retryable && status < 500;
        if (!usable) {
            // Before the decision: the retry this response may lead to backs off by the rate it lowers.
            policy.backoff().record(false);
        }
        String retryAfter = retryable && (status == 429 || status == 503)
                ? exchange.responseHeader(response, "Retry-After") : null;
        // A Tailguard server refused this retry or hedge so as to serve originals: "overloaded, do not retry".
        boolean shed = retryable && status == 503 && exchange.responseHeader(response, ServerEngine.SHED_HEADER) != null;
        Actions actions = null;
        boolean disarmHedge = false;
        Cancellable retry = Cancellable.NONE;
        synchronized (this) {
            boolean late = attempt.done;
            attempt.ended();
            removeInFlight(attempt);
            if (shed) {
                refusedByServer = true;
            }
            if (!late && !finished && (winner == null || winner == attempt) && (!retryable || winner == attempt && !shadow)
                    && inFlightCount == 0 && (setbacks == null || setbacks.lastResponse == null)) {
                // The usual end, the one attempt in flight answering: what finish() decides, with
                // nothing to lose, cancel or discard, so without an Actions object for every request.
                winner = attempt;
                finished = true;
                // Without effect from now on (the request is finished): cancelled once the
                // application has its result, not on the way there.
                disarmHedge = hedgeArmed;
                hedgeArmed = false;
                retry = setbacks == null ? Cancellable.NONE : setbacks.retryTimer;
            } else {
                actions = new Actions();
                decideResponse(actions, attempt, response, late, retryable, shed, retryAfter);
            }
        }
        if (actions == null) {
            complete(attempt, response, null, attempt.kind);
            if (disarmHedge) {
                engine.scheduler().disarm(this);
            }
            retry.cancel();
        } else {
            actions.run();
        }
        if (usable) {
            recordUsable(latency);
        }
    }

    /**
     * Guarded by this: whether the request's other attempts are still in flight or have had an
     * outcome, so that a hedge that ends without one (refused, failed) can be a lost attempt.
     */
    private boolean othersCanDecide() {
        return inFlightCount > 0 || setbacks != null && (setbacks.lastResponse != null || setbacks.lastFailure != null);
    }

    /** Guarded by this: {@link #onResponse} for every case but the usual end. */
    private void decideResponse(Actions actions, AttemptState attempt, R response, boolean late, boolean retryable,
            boolean shed, String retryAfter) {
        if (late || finished || winner != null && winner != attempt) {
            actions.discard(attempt, response);
        } else if (!retryable || winner == attempt && !shadow) {
            winner = attempt;
            finish(actions, attempt, response, null);
        } else if (shed && attempt.kind == AttemptKind.HEDGE && othersCanDecide()) {
            // A refused hedge is a lost attempt: the request ends with what its other attempts get.
            actions.discard(attempt, response);
            if (inFlightCount == 0 || cancelled) {
                decideRetry(actions);
            }
        } else {
            Setbacks<R> s = setbacks();
            if (s.lastResponse != null) {
                actions.discard(s.lastResponseAttempt, s.lastResponse);
            }
            rememberFailure(null, null);
            s.lastResponse = response;
            s.lastResponseAttempt = attempt;
            s.lastRetryAfterNanos = RetryAfter.parseNanos(retryAfter, engine.clock().currentTimeMillis());
            if (inFlightCount == 0 || cancelled) {
                decideRetry(actions);
            }
        }
    }

    /**
     * A usable response decides nothing but its own request, so its samples are recorded once the
     * application has it rather than on the way there. The request has ended: a failure here is
     * only reported.
     */
    private void recordUsable(long latency) {
        try {
            policy.backoff().record(true);
            if (policy.hedgeDelay() != null) {
                policy.hedgeDelay().record(latency);
            }
        } catch (Throwable bug) {
            engine.reportInternalFailure(bug);
        }
    }

    private void onFailure(AttemptState attempt, Throwable failure) {
        if (FaultInjection.AT_OUTCOME) {
            FaultInjection.fail("while handling a failure");
        }
        FailureKind classified = exchange.classify(failure);
        Actions actions = new Actions();
        synchronized (this) {
            // Whatever this attempt held of a body is gone with it.
            attempt.releaseBuffer();
            if (attempt.done) {
                return;
            }
            FailureKind kind = attempt.timedOut ? FailureKind.TIMEOUT : classified;
            attempt.ended();
            removeInFlight(attempt);
            if (kind == FailureKind.NOT_SENT) {
                notSent(attempt);
            }
            if (finished || winner != null && winner != attempt) {
                return;
            }
            if (kind == FailureKind.ABORTED) {
                cancelled = true;
                finish(actions, null, null, failure);
                actions.run();
                return;
            }
            if (kind != FailureKind.NOT_SENT) {
                policy.backoff().record(false);
            }
            if (winner == attempt) {
                // The body of a response that had already won broke off: the application has seen
                // part of it, so it cannot be retried.
                finish(actions, null, null, failure);
            } else if (attempt.kind == AttemptKind.HEDGE && othersCanDecide()) {
                // A failed hedge is a lost attempt, as a refused one: the request ends with what its
                // other attempts get (a failure with the hedge's attached as suppressed). A hedge that
                // found no pooled connection at once (it does not queue for one) must not replace the
                // primary's retryable response with that failure.
                addEarlierFailure(failure);
                if (inFlightCount == 0) {
                    decideRetry(actions);
                }
            } else {
                dropLastResponse(actions);
                rememberFailure(failure, kind);
                if (inFlightCount == 0) {
                    decideRetry(actions);
                }
            }
        }
        actions.run();
    }

    /**
     * Guarded by this: an attempt that never left (no connection for it in time) is counted as such
     * and gives back the budget token a retry or hedge took; the dependency did nothing wrong, so the
     * backoff does not hear of it.
     */
    private void notSent(AttemptState attempt) {
        policy.metrics().notSent(attempt.kind);
        if (attempt.kind != AttemptKind.PRIMARY) {
            policy.budget().refund();
        }
    }

    /** Guarded by this. */
    private void rememberFailure(Throwable failure, FailureKind kind) {
        Setbacks<R> s = setbacks();
        if (s.lastFailure != null) {
            addEarlierFailure(s.lastFailure);
        }
        s.lastFailure = failure;
        s.lastFailureKind = kind;
    }

    /** Guarded by this: a failure that decides nothing, attached as suppressed should the request fail. */
    private void addEarlierFailure(Throwable failure) {
        Setbacks<R> s = setbacks();
        if (s.earlierFailures.isEmpty()) {
            s.earlierFailures = new ArrayList<>(2);
        }
        s.earlierFailures.add(failure);
    }

    /** Guarded by this: the response held for a retry that may not come is discarded. */
    private void dropLastResponse(Actions actions) {
        if (setbacks != null && setbacks.lastResponse != null) {
            actions.discard(setbacks.lastResponseAttempt, setbacks.lastResponse);
            setbacks.lastResponse = null;
            setbacks.lastResponseAttempt = null;
        }
    }

    /** Guarded by this: what went wrong so far, made when the first thing does. */
    private Setbacks<R> setbacks() {
        if (setbacks == null) {
            setbacks = new Setbacks<>();
        }
        return setbacks;
    }

    /** Guarded by this; called when no attempt is in flight and the last one failed. */
    private void decideRetry(Actions actions) {
        disarmHedge();
        Setbacks<R> s = setbacks();
        boolean transientOutcome = s.lastResponse != null || isRetryable(s.lastFailureKind);
        if (cancelled || !transientOutcome || !retryEligible || started >= config().maxAttempts()
                || s.shadowRetryCounted || refusedByServer) {
            finishWithLast(actions);
            return;
        }
        long delay = s.lastRetryAfterNanos >= 0 ? s.lastRetryAfterNanos
                : policy.backoff().delayNanos(s.retries + 1, engine.random());
        long now = engine.clock().nanoTime();
        if (delay == Long.MAX_VALUE || plus(now, delay) >= deadlineNanos()) {
            finishWithLast(actions);
            return;
        }
        if (!policy.budget().tryWithdraw()) {
            policy.metrics().budgetRefused(AttemptKind.RETRY);
            finishWithLast(actions);
            return;
        }
        if (shadow) {
            policy.metrics().attempt(AttemptKind.RETRY, true);
            finishWithLast(actions);
            return;
        }
        s.retries++;
        s.retryTimer = engine.scheduler().schedule(this::onRetryDue, delay);
    }

    private void onRetryDue() {
        try {
            launch(AttemptKind.RETRY);
        } catch (Throwable bug) {
            engine.reportInternalFailure(bug);
        }
    }

    private boolean isRetryable(FailureKind kind) {
        if (kind == null) {
            return false;
        }
        switch (kind) {
            case CONNECT:
                return config().retryOnConnect();
            case RESET:
                return config().retryOnReset();
            case TIMEOUT:
                return config().retryOnTimeout();
            default:
                return false;
        }
    }

    /** Guarded by this. */
    private void finishWithLast(Actions actions) {
        Setbacks<R> s = setbacks();
        if (s.lastResponse != null) {
            R response = s.lastResponse;
            AttemptState from = s.lastResponseAttempt;
            s.lastResponse = null;
            s.lastResponseAttempt = null;
            finish(actions, from, response, null);
        } else {
            finish(actions, null, null, s.lastFailure != null ? s.lastFailure : exchange.cancelledFailure());
        }
    }

    /**
     * Guarded by this: decides the result; the client calls happen in {@link Actions#run}.
     *
     * @param from the attempt whose response this is: what it holds is released once delivered
     */
    private void finish(Actions actions, AttemptState from, R response, Throwable failure) {
        finished = true;
        // Without effect from now on (the request is finished): cancelled once it is completed.
        actions.disarmHedge = hedgeArmed;
        hedgeArmed = false;
        if (setbacks != null) {
            actions.retryTimer = setbacks.retryTimer;
        }
        // Attempts that lost to a response may finish on their own; any other end (a failure, the
        // application's cancel or interrupt) aborts them.
        if (response != null) {
            actions.lose = othersInFlight(winner);
        } else {
            actions.cancel = othersInFlight(winner);
        }
        if (setbacks != null && setbacks.lastResponse != response) {
            dropLastResponse(actions);
        }
        actions.complete = true;
        actions.from = from;
        actions.response = response;
        actions.failure = failure;
        actions.winnerKind = winner == null ? null : winner.kind;
    }

    /** Guarded by this. @return the attempts in flight other than {@code keep} (which may be {@code null}) */
    private List<AttemptState> othersInFlight(AttemptState keep) {
        if (inFlightCount == 0 || inFlightCount == 1 && firstInFlight == keep) {
            return Collections.emptyList();
        }
        List<AttemptState> others = new ArrayList<>(inFlightCount);
        for (AttemptState a = firstInFlight; a != null; a = a.nextInFlight) {
            if (a != keep) {
                others.add(a);
            }
        }
        return others;
    }

    /** Guarded by this. */
    private void addInFlight(AttemptState attempt) {
        attempt.nextInFlight = null;
        if (firstInFlight == null) {
            firstInFlight = attempt;
        } else {
            AttemptState last = firstInFlight;
            while (last.nextInFlight != null) {
                last = last.nextInFlight;
            }
            last.nextInFlight = attempt;
        }
        inFlightCount++;
    }

    /** Guarded by this; an attempt no longer in flight is left as it is. */
    private void removeInFlight(AttemptState attempt) {
        AttemptState previous = null;
        for (AttemptState a = firstInFlight; a != null; previous = a, a = a.nextInFlight) {
            if (a == attempt) {
                if (previous == null) {
                    firstInFlight = a.nextInFlight;
                } else {
                    previous.nextInFlight = a.nextInFlight;
                }
                a.nextInFlight = null;
                inFlightCount--;
                return;
            }
        }
    }

    private void complete(AttemptState from, R response, Throwable failure, AttemptKind winnerKind) {
        if (engine.scheduler().isSchedulerThread()) {
            // A timer ended the request (a timeout, a cancelled retry): the application's
            // dependent stages must not run on the timer thread, where they could delay every
            // other request's timers.
            try {
                engine.workers().execute(() -> completeNow(from, response, failure, winnerKind));
                return;
            } catch (Throwable saturated) {
                // Refused, or no thread could be started (an OutOfMemoryError says so): completing
                // here is better than not completing.
            }
        }
        completeNow(from, response, failure, winnerKind);
    }

    private void completeNow(AttemptState from, R response, Throwable failure, AttemptKind winnerKind) {
        try {
            completeOrFail(from, response, failure, winnerKind);
        } catch (Throwable bug) {
            // The engine's own bookkeeping failed: the request still ends, with the outcome at hand.
            engine.reportInternalFailure(bug);
            if (failure != null) {
                fail(failure);
            } else {
                succeed(response);
            }
        }
    }

    private void completeOrFail(AttemptState from, R response, Throwable failure, AttemptKind winnerKind) {
        long duration = engine.clock().nanoTime() - startNanos;
        boolean wasHedged;
        boolean wasCancelled;
        List<Throwable> earlier;
        synchronized (this) {
            wasHedged = hedged;
            wasCancelled = cancelled;
            earlier = setbacks == null ? Collections.emptyList() : setbacks.earlierFailures;
        }
        if (failure != null) {
            for (Throwable e : earlier) {
                if (e != failure) {
                    failure.addSuppressed(e);
                }
            }
            policy.metrics().requestFinished(wasCancelled ? RequestOutcome.CANCELLED : RequestOutcome.FAILURE, duration);
            fail(failure);
            return;
        }
        int status = exchange.status(response);
        RequestOutcome outcome = status < 500 && status != 429 ? RequestOutcome.SUCCESS : RequestOutcome.STATUS_ERROR;
        AttemptKind hedgeWinner = wasHedged ? winnerKind : null;
        CompletionStage<R> delivery;
        try {
            delivery = exchange.deliver(response);
        } catch (Throwable failed) {
            // Replaying a held body failed (an OutOfMemoryError, say): the request still ends,
            // and what it held is released.
            requestFinished(outcome, duration, hedgeWinner);
            if (from != null) {
                from.releaseBuffer();
            }
            fail(failed);
            return;
        }
        if (delivery == null || delivery instanceof CompletableFuture && ((CompletableFuture<R>) delivery).isDone()
                && !((CompletableFuture<R>) delivery).isCompletedExceptionally()) {
            // Delivered at once (most responses): no stage to chain. The application gets it first;
            // counting it can wait the few instructions until then, which here run between the
            // client's completion and the application's (for an asynchronous API, on a thread the
            // client may have just started for the purpose).
            R delivered = delivery == null ? response : ((CompletableFuture<R>) delivery).join();
            if (from != null) {
                from.releaseBuffer();
            }
            succeed(delivered);
            requestFinished(outcome, duration, hedgeWinner);
            return;
        }
        requestFinished(outcome, duration, hedgeWinner);
        delivery.whenComplete((delivered, deliveryFailure) -> {
            if (from != null) {
                from.releaseBuffer();
            }
            if (deliveryFailure != null) {
                fail(deliveryFailure instanceof CompletionException
                        && deliveryFailure.getCause() != null ? deliveryFailure.getCause() : deliveryFailure);
            } else {
                succeed(delivered);
            }
        });
    }

    private void requestFinished(RequestOutcome outcome, long duration, AttemptKind hedgeWinner) {
        policy.metrics().requestFinished(outcome, duration);
        if (hedgeWinner != null) {
            policy.metrics().hedgeWon(hedgeWinner);
        }
    }

    /** A send that failed before anything left (a worker pool refusing, an adapter bug). */
    private void abandon(AttemptState attempt, Throwable failure) {
        if (!(failure instanceof RejectedExecutionException)) {
            engine.reportInternalFailure(failure);
        }
        Actions actions = new Actions();
        synchronized (this) {
            if (attempt.done) {
                return;
            }
            attempt.ended();
            attempt.releaseBuffer();
            removeInFlight(attempt);
            if (!finished && winner == null && inFlightCount == 0) {
                finishWithLast(actions);
            }
        }
        actions.run();
    }

    /**
     * The engine's own logic failed while handling an attempt's outcome: end the request with that
     * outcome, as the plain client would have, unless it already ended.
     */
    private void failSafe(Throwable bug, AttemptState attempt, R response, Throwable failure) {
        engine.reportInternalFailure(bug);
        Actions actions = new Actions();
        synchronized (this) {
            attempt.ended();
            removeInFlight(attempt);
            if (finished) {
                if (response != null) {
                    actions.discard(attempt, response);
                } else {
                    attempt.releaseBuffer();
                }
            } else {
                winner = attempt;
                finish(actions, attempt, response, failure);
            }
        }
        try {
            actions.run();
        } catch (Throwable again) {
            engine.reportInternalFailure(again);
            attempt.releaseBuffer();
            if (response != null) {
                succeed(response);
            } else {
                fail(failure);
            }
        }
    }

    private void succeed(R response) {
        boolean now = result.complete(response);
        CallerRuns<R> caller = caller();
        if (caller != null) {
            caller.wake();
        }
        if (now) {
            ended(response, null);
        }
    }

    private void fail(Throwable failure) {
        boolean now = result.completeExceptionally(failure);
        CallerRuns<R> caller = caller();
        if (caller != null) {
            caller.wake();
        }
        if (now) {
            ended(null, failure);
        }
    }

    /** The result was completed just now: tells {@link #whenDone}'s action. */
    private void ended(R response, Throwable failure) {
        BiConsumer<? super R, ? super Throwable> action = onEnd;
        if (action == null) {
            return;
        }
        try {
            action.accept(response, failure);
        } catch (Throwable ignored) {
            // As whenComplete would: the action's own failure goes nowhere.
        }
    }

    /**
     * When the request must have ended: its policy's retry timeout after it started, or the
     * client's own deadline when that comes first. Derived each time rather than kept, on a path
     * taken once per attempt at most.
     */
    private long deadlineNanos() {
        return Math.min(plus(startNanos, config().retryTimeout().toNanos()), clientDeadlineNanos);
    }

    private static long plus(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * The result of an asynchronous call, which the application holds: cancelling it (with
     * {@code cancel} or a {@code CancellationException}) cancels the request. A subclass rather than
     * a dependent stage, so that a call does not allocate one.
     */
    private final class Result extends CompletableFuture<R> {
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelledNow = super.cancel(mayInterruptIfRunning);
            if (cancelledNow) {
                ended(null, new CancellationException());
            }
            cancelRequestIfCancelled();
            return cancelledNow;
        }

        @Override
        public boolean completeExceptionally(Throwable failure) {
            boolean completedNow = super.completeExceptionally(failure);
            cancelRequestIfCancelled();
            return completedNow;
        }

        private void cancelRequestIfCancelled() {
            if (isCancelled()) {
                Execution.this.cancel();
            }
        }
    }

    /**
     * What went wrong so far in one request, guarded by its execution: a response held for a retry
     * that may still come, the failures to report, the retry's timer. Most requests have none of
     * these, so they live here rather than in every execution.
     */
    private static final class Setbacks<R> {
        int retries;
        /** Shadow mode: a would-be retry was already counted for this request (after an attempt timeout). */
        boolean shadowRetryCounted;
        R lastResponse;
        Execution<R>.AttemptState lastResponseAttempt;
        long lastRetryAfterNanos = RetryAfter.ABSENT;
        Throwable lastFailure;
        FailureKind lastFailureKind;
        List<Throwable> earlierFailures = Collections.emptyList();
        Cancellable retryTimer = Cancellable.NONE;
    }

    /** Client calls decided under the lock, run after it is released. */
    private final class Actions {
        // Most requests end with one attempt and nothing to cancel, lose or discard: the lists
        // exist only when they have something in them.
        List<AttemptState> cancel = Collections.emptyList();
        List<AttemptState> lose = Collections.emptyList();
        List<R> discard = Collections.emptyList();
        boolean complete;
        AttemptState from;
        R response;
        Throwable failure;
        AttemptKind winnerKind;
        boolean disarmHedge;
        Cancellable retryTimer = Cancellable.NONE;

        /** Guarded by Execution.this: the response will be closed, so what its attempt held is free. */
        void discard(AttemptState attempt, R r) {
            if (attempt != null) {
                attempt.releaseBuffer();
            }
            if (discard.isEmpty()) {
                discard = new ArrayList<>(1);
            }
            discard.add(r);
        }

        void run() {
            for (AttemptState attempt : cancel) {
                attempt.cancel();
            }
            for (AttemptState attempt : lose) {
                attempt.lose();
            }
            for (R r : discard) {
                try {
                    exchange.discard(r);
                } catch (Throwable e) {
                    engine.reportInternalFailure(e);
                }
            }
            if (complete) {
                complete(from, response, failure, winnerKind);
            }
            if (disarmHedge) {
                engine.scheduler().disarm(Execution.this);
            }
            retryTimer.cancel();
        }
    }

    /** One attempt: the engine's view of it, what the adapter sends, and the listener it reports to. */
    private final class AttemptState extends AttemptSpec implements AttemptListener<R>, Executor, Runnable {
        final int number;
        final AttemptKind kind;
        final long startNanos;
        /** The next attempt in flight; guarded by Execution.this. */
        AttemptState nextInFlight;
        /** The timeout tag's value, {@code null} for none; set before the attempt is handed to the adapter. */
        String timeoutText;
        long clientTimeoutNanos;
        private volatile Attempt handle;
        private volatile boolean cancelRequested;
        /** Bytes of this attempt's response held against the limits; see {@link #releaseBuffer}. */
        volatile long reserved;
        private volatile boolean lost;
        // Guarded by Execution.this.
        boolean done;
        boolean timedOut;
        /** A reservation was refused by the per-attempt limit (rather than the JVM-wide one). */
        boolean overOwnLimit;
        Cancellable timeoutTimer = Cancellable.NONE;
        Cancellable abortTimer = Cancellable.NONE;
        /** The blocking work handed to {@link #execute}, run by {@link #run}. */
        private Runnable send;

        AttemptState(int number, AttemptKind kind, long startNanos) {
            this.number = number;
            this.kind = kind;
            this.startNanos = startNanos;
        }

        @Override
        public int number() {
            return number;
        }

        @Override
        public AttemptKind kind() {
            return kind;
        }

        @Override
        public Map<String, String> headers() {
            TaggingHeaders tagging = tagging();
            if (tagging == null) {
                return Collections.emptyMap();
            }
            return AttemptHeaders.of(tagging, requestId, AttemptHeaders.number(number),
                    AttemptHeaders.hedge(kind == AttemptKind.HEDGE), timeoutText);
        }

        @Override
        public int headerCount() {
            return tagging() == null ? 0 : AttemptHeaders.count(requestId, timeoutText);
        }

        @Override
        public String headerName(int i) {
            return AttemptHeaders.name(tagging(), AttemptHeaders.kind(requestId, i));
        }

        @Override
        public String headerValue(int i) {
            int k = AttemptHeaders.kind(requestId, i);
            return k == 0 ? requestId : k == 1 ? AttemptHeaders.number(number)
                    : k == 2 ? AttemptHeaders.hedge(kind == AttemptKind.HEDGE) : timeoutText;
        }

        @Override
        public long clientTimeoutNanos() {
            return clientTimeoutNanos;
        }

        @Override
        public boolean engineRetriesStatus(int status) {
            return retryEligible && !shadow && config().retryOnStatus(status);
        }

        @Override
        public boolean mayBeHedged() {
            return hedgeEligible;
        }

        @Override
        public boolean callerWaits() {
            return result instanceof CallerRuns;
        }

        /** Guarded by Execution.this. */
        void ended() {
            done = true;
            timeoutTimer.cancel();
            abortTimer.cancel();
        }

        /** Gives back what this attempt held; safe to call more than once. @return the bytes released */
        long releaseBuffer() {
            if (reserved == 0) {
                // Most attempts held nothing: no write on the way to the application's result.
                return 0;
            }
            long bytes = RESERVED.getAndSet(this, 0);
            engine.buffers().release(bytes);
            return bytes;
        }

        void attach(Attempt attempt) {
            handle = attempt;
            if (cancelRequested) {
                quietly(attempt, false);
            } else if (lost) {
                quietly(attempt, true);
            }
        }

        /**
         * Another attempt won: this one may finish on its own (its response is then dropped), but
         * not past the request's deadline.
         */
        void lose() {
            lost = true;
            synchronized (Execution.this) {
                if (done || abortTimer != Cancellable.NONE) {
                    return;
                }
                long left = Math.max(0, deadlineNanos() - engine.clock().nanoTime());
                abortTimer = engine.scheduler().schedule(this::cancel, left);
            }
            Attempt attempt = handle;
            if (attempt != null) {
                quietly(attempt, true);
            }
        }

        void cancel() {
            cancelRequested = true;
            Attempt attempt = handle;
            if (attempt != null) {
                quietly(attempt, false);
            }
        }

        /** Tells the client an attempt lost or must be aborted; a failure of the adapter is only reported. */
        private void quietly(Attempt attempt, boolean lose) {
            try {
                if (lose) {
                    attempt.lose();
                } else {
                    attempt.cancel();
                }
            } catch (Throwable e) {
                engine.reportInternalFailure(e);
            }
        }

        /** Runs a blocking client's attempt: on the waiting application thread, else on a worker. */
        @Override
        public void execute(Runnable work) {
            Runnable guarded;
            if (send == null) {
                // An attempt hands over its work once: it runs as this attempt itself, with no
                // object of its own.
                send = work;
                guarded = this;
            } else {
                guarded = () -> guard(work);
            }
            CallerRuns<R> caller = caller();
            if (caller == null || !caller.offer(guarded, kind != AttemptKind.HEDGE)) {
                try {
                    engine.workers().execute(guarded);
                } catch (RejectedExecutionException e) {
                    abandon(this, e);
                }
            }
        }

        @Override
        public void run() {
            guard(send);
        }

        private void guard(Runnable work) {
            if (cancelRequested || lost) {
                onFailure(exchange.cancelledFailure());
                return;
            }
            try {
                work.run();
            } catch (Throwable escaped) {
                // An Error (an OutOfMemoryError, say) out of the client or the adapter: the
                // attempt still ends, so the request gets an outcome and no thread waits
                // forever. Ignored if the attempt had already reported.
                onFailure(escaped);
            }
        }

        @Override
        public HeaderDecision onHeaders(int status, long contentLength) {
            try {
                return decideAtHeaders(this, status, contentLength);
            } catch (Throwable bug) {
                engine.reportInternalFailure(bug);
                return HeaderDecision.DELIVER;
            }
        }

        @Override
        public boolean reserve(long bytes) {
            try {
                return Execution.this.reserve(this, bytes);
            } catch (Throwable bug) {
                engine.reportInternalFailure(bug);
                return false;
            }
        }

        @Override
        public HeaderDecision commit() {
            try {
                return Execution.this.commit(this);
            } catch (Throwable bug) {
                engine.reportInternalFailure(bug);
                return HeaderDecision.DELIVER;
            }
        }

        @Override
        public void onResponse(R response) {
            try {
                Execution.this.onResponse(this, response);
            } catch (Throwable bug) {
                failSafe(bug, this, response, null);
            }
        }

        @Override
        public void onFailure(Throwable failure) {
            try {
                Execution.this.onFailure(this, failure);
            } catch (Throwable bug) {
                failSafe(bug, this, null, failure);
            }
        }
    }
}
