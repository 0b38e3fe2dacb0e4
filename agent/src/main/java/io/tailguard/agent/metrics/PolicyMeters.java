package io.tailguard.agent.metrics;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.RequestMetrics;
import java.util.concurrent.atomic.LongAdder;

/**
 * One policy's counts, kept in plain {@link LongAdder}s that exist from the first request on: no
 * Micrometer class is needed to count, so nothing is lost while Micrometer is still loading (or
 * when nothing publishes it), and the summary line reads the same numbers as the endpoint. Every
 * tag combination is resolved to its adder here, once; a request only indexes an array.
 *
 * <p>Request durations are the one thing a plain count cannot hold (the timer needs every value
 * for its percentiles): they go to a {@link DurationSink} that is swapped once Micrometer's timers
 * exist.
 */
final class PolicyMeters implements RequestMetrics {

    static final AttemptKind[] KINDS = AttemptKind.values();
    static final RequestOutcome[] OUTCOMES = RequestOutcome.values();

    private final String policy;
    private final LongAdder[] requests = adders(OUTCOMES.length);
    /** Index {@code kind * 2 + (shadow ? 1 : 0)}. */
    private final LongAdder[] attempts = adders(KINDS.length * 2);
    private final LongAdder[] hedgeWins = adders(KINDS.length);
    private final LongAdder[] budgetRefused = adders(KINDS.length);
    private final LongAdder[] notSent = adders(KINDS.length);
    private final LongAdder bufferCommitted = new LongAdder();
    private volatile DurationSink durations;

    PolicyMeters(String policy, DurationSink durations) {
        this.policy = policy;
        this.durations = durations;
    }

    String policy() {
        return policy;
    }

    @Override
    public void attempt(AttemptKind kind, boolean shadow) {
        attempts[kind.ordinal() * 2 + (shadow ? 1 : 0)].increment();
    }

    @Override
    public void budgetRefused(AttemptKind kind) {
        budgetRefused[kind.ordinal()].increment();
    }

    @Override
    public void notSent(AttemptKind kind) {
        notSent[kind.ordinal()].increment();
    }

    @Override
    public void bufferCommitted(String why) {
        bufferCommitted.increment();
        if (Log.enabled("debug")) {
            Log.debug("policy " + policy + ": " + why + "; the request is committed to it: it goes to the "
                    + "application as the client streams it, and no further attempt is sent");
        }
    }

    @Override
    public void hedgeWon(AttemptKind winner) {
        hedgeWins[winner.ordinal()].increment();
    }

    @Override
    public void requestFinished(RequestOutcome outcome, long durationNanos) {
        requests[outcome.ordinal()].increment();
        durations.record(outcome.ordinal(), durationNanos);
    }

    LongAdder requestCounter(RequestOutcome outcome) {
        return requests[outcome.ordinal()];
    }

    LongAdder attemptCounter(AttemptKind kind, boolean shadow) {
        return attempts[kind.ordinal() * 2 + (shadow ? 1 : 0)];
    }

    LongAdder hedgeWinCounter(AttemptKind winner) {
        return hedgeWins[winner.ordinal()];
    }

    LongAdder refusalCounter(AttemptKind kind) {
        return budgetRefused[kind.ordinal()];
    }

    LongAdder notSentCounter(AttemptKind kind) {
        return notSent[kind.ordinal()];
    }

    LongAdder bufferCommittedCounter() {
        return bufferCommitted;
    }

    DurationSink durations() {
        return durations;
    }

    void durations(DurationSink sink) {
        durations = sink;
    }

    /** The counts as they are now, for the summary line. */
    Counts counts() {
        Counts c = new Counts();
        for (int i = 0; i < requests.length; i++) {
            c.requests[i] = requests[i].sum();
        }
        for (int i = 0; i < attempts.length; i++) {
            c.attempts[i] = attempts[i].sum();
        }
        for (int i = 0; i < KINDS.length; i++) {
            c.hedgeWins[i] = hedgeWins[i].sum();
            c.budgetRefused[i] = budgetRefused[i].sum();
            c.notSent[i] = notSent[i].sum();
        }
        c.bufferCommitted = bufferCommitted.sum();
        return c;
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }

    /** A copy of one policy's counts; {@link #minus} gives what happened between two copies. */
    static final class Counts {
        final long[] requests = new long[OUTCOMES.length];
        final long[] attempts = new long[KINDS.length * 2];
        final long[] hedgeWins = new long[KINDS.length];
        final long[] budgetRefused = new long[KINDS.length];
        final long[] notSent = new long[KINDS.length];
        long bufferCommitted;

        Counts minus(Counts earlier) {
            Counts d = new Counts();
            subtract(requests, earlier.requests, d.requests);
            subtract(attempts, earlier.attempts, d.attempts);
            subtract(hedgeWins, earlier.hedgeWins, d.hedgeWins);
            subtract(budgetRefused, earlier.budgetRefused, d.budgetRefused);
            subtract(notSent, earlier.notSent, d.notSent);
            d.bufferCommitted = bufferCommitted - earlier.bufferCommitted;
            return d;
        }

        long requests() {
            return sum(requests);
        }

        long requests(RequestOutcome outcome) {
            return requests[outcome.ordinal()];
        }

        long attempts(AttemptKind kind, boolean shadow) {
            return attempts[kind.ordinal() * 2 + (shadow ? 1 : 0)];
        }

        /** Attempts sent ({@code shadow == false}) or only decided ({@code true}). */
        long attempts(boolean shadow) {
            long n = 0;
            for (AttemptKind kind : KINDS) {
                n += attempts(kind, shadow);
            }
            return n;
        }

        long hedgeWins(AttemptKind winner) {
            return hedgeWins[winner.ordinal()];
        }

        long hedgeWins() {
            return sum(hedgeWins);
        }

        long budgetRefused(AttemptKind kind) {
            return budgetRefused[kind.ordinal()];
        }

        long budgetRefused() {
            return sum(budgetRefused);
        }

        long notSent(AttemptKind kind) {
            return notSent[kind.ordinal()];
        }

        long notSent() {
            return sum(notSent);
        }

        boolean isQuiet() {
            return requests() == 0 && sum(attempts) == 0 && budgetRefused() == 0;
        }

        private static long sum(long[] values) {
            long n = 0;
            for (long v : values) {
                n += v;
            }
            return n;
        }

        private static void subtract(long[] a, long[] b, long[] into) {
            for (int i = 0; i < a.length; i++) {
                into[i] = a[i] - b[i];
            }
        }
    }
}
