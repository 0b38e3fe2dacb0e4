package io.tailguard.bench.report;

import java.util.List;

/** Whether a measurement meets a target, said plainly, and honestly when noise hides the answer. */
public final class Verdict {

    public static final String MEETS = "meets";
    public static final String FALLS_SHORT = "**falls short**";
    public static final String UNCLEAR = "unclear: the rounds straddle the target";
    public static final String UNRESOLVED = "unclear: the noise between rounds is larger than the target";
    public static final String STRADDLES = "unclear: the 95% interval straddles the target";

    private Verdict() {
    }

    /**
     * Every round at or above {@code limit}: falls short. Every round below it: meets, unless the
     * rounds differ from each other by more than the limit itself, in which case the measurement
     * cannot tell (a difference of -50 µs does not show that a cost is below 1 µs). Else unclear.
     */
    public static String below(List<Double> rounds, double limit) {
        if (rounds == null || rounds.isEmpty()) {
            return "not measured";
        }
        boolean allBelow = true;
        boolean allAbove = true;
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double v : rounds) {
            allBelow &= v < limit;
            allAbove &= v >= limit;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (allAbove) {
            return FALLS_SHORT;
        }
        if (allBelow) {
            return max - min > Math.abs(limit) ? UNRESOLVED : MEETS;
        }
        return UNCLEAR;
    }

    /** One measurement against an upper limit (inclusive when {@code inclusive}). */
    public static String below(double value, double limit, boolean inclusive) {
        if (Double.isNaN(value)) {
            return "not measured";
        }
        return value < limit || inclusive && value == limit ? MEETS : FALLS_SHORT;
    }

    /**
     * A 95% interval {@code {point, low, high}} against an upper limit: met when the whole interval
     * is at or below it, short when the whole interval is above it, else unclear.
     */
    public static String interval(double[] ci, double limit) {
        if (ci[2] <= limit) {
            return MEETS;
        }
        return ci[1] > limit ? FALLS_SHORT : STRADDLES;
    }
}
