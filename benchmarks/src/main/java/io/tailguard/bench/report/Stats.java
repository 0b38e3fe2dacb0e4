package io.tailguard.bench.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The few statistics the reports use. Percentiles are nearest-rank: always a measured value. */
public final class Stats {

    private Stats() {
    }

    /** The nearest-rank percentile {@code p} (0..100) of sorted values; NaN for none. */
    public static double percentile(double[] sorted, double p) {
        return sorted.length == 0 ? Double.NaN : sorted[index(sorted.length, p)];
    }

    /** As {@link #percentile(double[], double)}, for sorted longs (0 for none). */
    public static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[index(sorted.length, p)];
    }

    /** The 0-based index of the nearest rank, ceil(p/100 × n), forgiving p/100 × n's rounding (99.9% of 1000). */
    private static int index(int n, double p) {
        int rank = (int) Math.ceil(p / 100.0 * n - 1e-9);
        return Math.max(0, Math.min(n - 1, rank - 1));
    }

    public static double median(List<Double> values) {
        return percentileOf(values, 50);
    }

    /** Interpolated median of any values (a sample statistic, not a latency percentile). */
    public static double percentileOf(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double position = p / 100.0 * (sorted.length - 1);
        int low = (int) Math.floor(position);
        int high = (int) Math.ceil(position);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }

    public static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    public static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    public static double[] sorted(List<Double> values) {
        double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a;
    }

    /** {@code with[i] − base[i]} for each index both lists have: paired figures, such as round by round. */
    public static List<Double> differences(List<Double> with, List<Double> base) {
        int n = Math.min(with.size(), base.size());
        List<Double> differences = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            differences.add(with.get(i) - base.get(i));
        }
        return differences;
    }

    public static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Mean and two-sided 95% interval of the mean (Student's t): {mean, low, high}. */
    public static double[] meanInterval(List<Double> values) {
        int n = values.size();
        double m = mean(values);
        if (n < 2) {
            return new double[] {m, Double.NaN, Double.NaN};
        }
        double ss = 0;
        for (double v : values) {
            ss += (v - m) * (v - m);
        }
        double half = tQuantile975(n - 1) * Math.sqrt(ss / (n - 1) / n);
        return new double[] {m, m - half, m + half};
    }

    /**
     * The chance of at least {@code successes} in {@code trials} independent trials that each succeed
     * with probability {@code p}: the one-sided p-value of a binomial test. Summed term by term in
     * logarithms, so that thousands of trials neither overflow nor underflow.
     */
    public static double binomialAtLeast(long successes, long trials, double p) {
        if (successes <= 0) {
            return 1;
        }
        if (successes > trials || p <= 0) {
            return 0;
        }
        if (p >= 1) {
            return 1;
        }
        double logP = Math.log(p);
        double logQ = Math.log1p(-p);
        // log C(trials, successes), then each next term from the one before.
        double logTerm = 0;
        for (long i = 0; i < successes; i++) {
            logTerm += Math.log(trials - i) - Math.log(i + 1);
        }
        logTerm += successes * logP + (trials - successes) * logQ;
        double sum = 0;
        for (long i = successes; i <= trials; i++) {
            sum += Math.exp(logTerm);
            logTerm += Math.log(trials - i) - Math.log(i + 1) + logP - logQ;
        }
        return Math.min(1, sum);
    }

    /** Student's t 97.5% quantiles for 1 to 4 degrees of freedom, where the expansion below is too coarse. */
    private static final double[] T975_SMALL = {12.7062, 4.3027, 3.1824, 2.7764};

    /**
     * Student's t 97.5% quantile: from the table for 1 to 4 degrees of freedom (an interval over a
     * few JVMs), else a Cornish-Fisher expansion around the normal's 1.95996 (within 0.2% from 5).
     */
    static double tQuantile975(int df) {
        if (df <= T975_SMALL.length) {
            return T975_SMALL[df - 1];
        }
        double z = 1.959963984540054;
        double z3 = z * z * z;
        double z5 = z3 * z * z;
        return z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df)
                + (3 * z5 * z * z + 19 * z5 + 17 * z3 - 15 * z) / (384.0 * df * df * df);
    }
}
