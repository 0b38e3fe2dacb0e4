package io.tailguard.bench.report;

import java.util.List;

/** Whether a measurement meets a target, said plainly, and honestly when noise hides the answer. */
public final class Verdict {

    public static final String MEETS = "meets";
    public static final String FALLS_SHORT = "**falls short**";
    public static final String UNCLEAR = "unclear: the rounds straddle the target";

    private Verdict() {
    }

    /** Every round below {@code limit}: meets; every round at or above: falls short; else unclear. */
    public static String below(List<Double> rounds, double limit) {
        if (rounds == null || rounds.isEmpty()) {
            return "not measured";
        }
        boolean allBelow = true;
        boolean allAbove = true;
        for (double v : rounds) {
            allBelow &= v < limit;
            allAbove &= v >= limit;
        }
        return allBelow ? MEETS : allAbove ? FALLS_SHORT : UNCLEAR;
    }

    /** One measurement against an upper limit (inclusive when {@code inclusive}). */
    public static String below(double value, double limit, boolean inclusive) {
        if (Double.isNaN(value)) {
            return "not measured";
        }
        return value < limit || inclusive && value == limit ? MEETS : FALLS_SHORT;
    }
}
