package io.tailguard.agent.metrics;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.agent.engine.HedgeDelay;
import io.tailguard.agent.engine.RequestMetrics.RequestOutcome;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.agent.server.ServerKind;
import io.tailguard.agent.server.ServerOutcome;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * One info line per interval with what each active policy did in it, silent when nothing
 * happened. For example:
 * <pre>
 * last 60s: api: 120 requests (success 118, status_error 2), 150 attempts (primary 120, retry 10,
 * hedge 20), amplification 1.25, hedge wins primary 5 hedge 15, budget refused retry 0 hedge 2,
 * hedge delay 42.0ms | search: ...
 * </pre>
 * Attempts that never left (the client had no connection for them in time) follow the attempts,
 * e.g. {@code 150 attempts (primary 120, retry 10, hedge 20), 3 not sent (hedge 3)}, and do not
 * count in the amplification. In shadow mode the attempts that were only decided follow the ones sent:
 * {@code 120 attempts (primary 120), would send retry 10 hedge 20, amplification 1.00 (1.25 if enforced)}.
 */
final class SummaryLog implements Runnable {

    private final TailguardMetrics metrics;
    private final Map<String, PolicyMeters.Counts> previous = new HashMap<>();
    private long[] previousServer;
    private volatile String intervalText = "";

    SummaryLog(TailguardMetrics metrics) {
        this.metrics = metrics;
    }

    /** A new interval: counts from now on are compared with the counts now. */
    void restart(Duration interval) {
        List<PolicyMeters> policies = metrics.policies();
        synchronized (this) {
            intervalText = text(interval);
            previous.clear();
            for (PolicyMeters policy : policies) {
                previous.put(policy.policy(), policy.counts());
            }
            previousServer = metrics.serverCounts();
        }
    }

    @Override
    public void run() {
        try {
            String line = nextLine();
            if (line != null) {
                Log.info(line);
            }
        } catch (Throwable bug) {
            // A summary is not worth a dead housekeeping thread.
            Log.warn("could not write the metrics summary: " + bug, bug);
        }
    }

    /** What happened since the last call, or {@code null} when nothing did. */
    String nextLine() {
        List<PolicyMeters> policies = metrics.policies();
        StringBuilder line = new StringBuilder(256);
        synchronized (this) {
            for (PolicyMeters policy : policies) {
                PolicyMeters.Counts now = policy.counts();
                PolicyMeters.Counts before = previous.put(policy.policy(), now);
                PolicyMeters.Counts delta = before == null ? now : now.minus(before);
                if (delta.isQuiet()) {
                    continue;
                }
                line.append(line.length() == 0 ? "last " + intervalText + ": " : " | ");
                describe(line, policy.policy(), delta, metrics.hedgeDelayNanos(policy.policy()));
            }
            long[] server = metrics.serverCounts();
            long[] before = previousServer;
            previousServer = server;
            if (server != null) {
                if (before != null) {
                    for (int i = 0; i < server.length; i++) {
                        server[i] -= before[i];
                    }
                }
                String serverPart = describeServer(line.length() == 0 ? "last " + intervalText + ": " : " | ", server);
                if (serverPart != null) {
                    line.append(serverPart);
                }
            }
        }
        return line.length() == 0 ? null : line.toString();
    }

    /**
     * Appends {@code (primary 120, retry 10, hedge 20)}: each kind of attempt with a count above
     * zero, and the primary always if {@code primaryAlways}.
     */
    private static void byKind(StringBuilder out, ToLongFunction<AttemptKind> count, boolean primaryAlways) {
        out.append('(');
        String separator = "";
        for (AttemptKind kind : PolicyMeters.KINDS) {
            long n = count.applyAsLong(kind);
            if (n > 0 || primaryAlways && kind == AttemptKind.PRIMARY) {
                out.append(separator).append(kind.label()).append(' ').append(n);
                separator = ", ";
            }
        }
        out.append(')');
    }

    static void describe(StringBuilder out, String policy, PolicyMeters.Counts c, long hedgeDelayNanos) {
        long requests = c.requests();
        out.append(policy).append(": ").append(requests).append(requests == 1 ? " request" : " requests");
        String separator = " (";
        for (RequestOutcome outcome : PolicyMeters.OUTCOMES) {
            if (c.requests(outcome) > 0) {
                out.append(separator).append(outcome.label()).append(' ').append(c.requests(outcome));
                separator = ", ";
            }
        }
        if (requests > 0) {
            out.append(')');
        }
        long sent = c.attempts(false);
        long decided = c.attempts(true);
        out.append(", ").append(sent).append(sent == 1 ? " attempt " : " attempts ");
        byKind(out, kind -> c.attempts(kind, false), true);
        long notSent = c.notSent();
        if (notSent > 0) {
            out.append(", ").append(notSent).append(" not sent ");
            byKind(out, c::notSent, false);
        }
        if (decided > 0) {
            out.append(", would send retry ").append(c.attempts(AttemptKind.RETRY, true))
                    .append(" hedge ").append(c.attempts(AttemptKind.HEDGE, true));
        }
        out.append(", amplification ").append(ratio(sent - notSent, requests));
        if (decided > 0) {
            out.append(" (").append(ratio(sent - notSent + decided, requests)).append(" if enforced)");
        }
        if (hedgeDelayNanos != TailguardMetrics.NOT_HEDGING || c.hedgeWins() > 0) {
            out.append(", hedge wins primary ").append(c.hedgeWins(AttemptKind.PRIMARY))
                    .append(" hedge ").append(c.hedgeWins(AttemptKind.HEDGE));
            if (c.hedgeWins(AttemptKind.RETRY) > 0) {
                out.append(" retry ").append(c.hedgeWins(AttemptKind.RETRY));
            }
        }
        out.append(", budget refused retry ").append(c.budgetRefused(AttemptKind.RETRY))
                .append(" hedge ").append(c.budgetRefused(AttemptKind.HEDGE));
        if (c.bufferCommitted > 0) {
            out.append(", too large to hold ").append(c.bufferCommitted);
        }
        if (hedgeDelayNanos == HedgeDelay.NO_HEDGE) {
            out.append(", hedge delay warming up");
        } else if (hedgeDelayNanos >= 0) {
            out.append(", hedge delay ").append(String.format(Locale.ROOT, "%.1fms", hedgeDelayNanos / 1e6));
        }
    }

    /**
     * The server side's part, e.g. {@code server: 120 requests (handled 100, coalesced 15, replayed 3,
     * shed 2), handler time saved 4.2s}; in shadow mode {@code would coalesce 15}; {@code null} when
     * it served nothing.
     */
    static String describeServer(String prefix, long[] delta) {
        long[] byOutcome = new long[ServerOutcome.values().length];
        long[] wouldBy = new long[ServerOutcome.values().length];
        long total = 0;
        for (ServerKind kind : ServerKind.values()) {
            for (ServerOutcome outcome : ServerOutcome.values()) {
                long n = delta[ServerEngine.countIndex(kind, outcome, false)];
                long shadow = delta[ServerEngine.countIndex(kind, outcome, true)];
                byOutcome[outcome.ordinal()] += n;
                wouldBy[outcome.ordinal()] += shadow;
                total += n + shadow;
            }
        }
        if (total == 0) {
            return null;
        }
        StringBuilder out = new StringBuilder(prefix).append("server: ").append(total)
                .append(total == 1 ? " request" : " requests");
        String separator = " (";
        for (ServerOutcome outcome : ServerOutcome.values()) {
            if (byOutcome[outcome.ordinal()] > 0 || outcome == ServerOutcome.HANDLED) {
                out.append(separator).append(outcome.label()).append(' ').append(byOutcome[outcome.ordinal()]);
                separator = ", ";
            }
        }
        out.append(')');
        for (ServerOutcome outcome : ServerOutcome.values()) {
            if (outcome != ServerOutcome.HANDLED && wouldBy[outcome.ordinal()] > 0) {
                out.append(", would have ").append(outcome.label()).append(' ').append(wouldBy[outcome.ordinal()]);
            }
        }
        long saved = delta[delta.length - 1];
        if (saved > 0) {
            out.append(String.format(Locale.ROOT, ", handler time saved %.1fs", saved / 1e9));
        }
        return out.toString();
    }

    static String text(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static String ratio(long attempts, long requests) {
        return requests == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", attempts / (double) requests);
    }
}
