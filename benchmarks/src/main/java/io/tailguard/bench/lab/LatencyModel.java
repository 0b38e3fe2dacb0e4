package io.tailguard.bench.lab;

import java.util.SplittableRandom;

/**
 * How long the lab server works on one attempt. Every attempt draws independently, but
 * deterministically from (seed, logical request, how many attempts of it came before): the same
 * request gets the same primary latency whichever client is being measured, so the three runs of
 * a scenario are compared on the same luck.
 */
public abstract class LatencyModel {

    /** A service time in nanoseconds for the {@code attempt}-th arrival (0-based) of request {@code id}. */
    public final long sampleNanos(long seed, long id, int attempt) {
        long mixed = seed * 0x9E3779B97F4A7C15L + id * 0xBF58476D1CE4E5B9L + attempt * 0x94D049BB133111EBL;
        return draw(new SplittableRandom(mixed));
    }

    abstract long draw(SplittableRandom random);

    /** A description for the report, e.g. "98%: 5–15 ms; 2%: 1 s". */
    public abstract String describe();

    /** The mean of the drawn durations, in milliseconds. */
    public abstract double meanMillis();

    /** Uniform between two durations. */
    public static LatencyModel uniform(double minMillis, double maxMillis) {
        return new LatencyModel() {
            @Override
            long draw(SplittableRandom random) {
                return (long) ((minMillis + random.nextDouble() * (maxMillis - minMillis)) * 1e6);
            }

            @Override
            public double meanMillis() {
                return (minMillis + maxMillis) / 2;
            }

            @Override
            public String describe() {
                return minMillis == maxMillis ? fmt(minMillis) + " ms" : fmt(minMillis) + "–" + fmt(maxMillis) + " ms";
            }
        };
    }

    /**
     * {@code base}, except that with probability {@code probabilities[i]} the attempt takes
     * {@code slow[i]} instead (or on top, when {@code additive}). Probabilities are exclusive.
     */
    public static LatencyModel mixture(LatencyModel base, double[] probabilities, LatencyModel[] slow,
            boolean additive) {
        return new LatencyModel() {
            @Override
            long draw(SplittableRandom random) {
                double u = random.nextDouble();
                long fast = base.draw(random);
                double cumulative = 0;
                for (int i = 0; i < probabilities.length; i++) {
                    cumulative += probabilities[i];
                    if (u < cumulative) {
                        long stall = slow[i].draw(random);
                        return additive ? fast + stall : stall;
                    }
                }
                return fast;
            }

            @Override
            public double meanMillis() {
                double mean = 0;
                double rest = 1;
                for (int i = 0; i < probabilities.length; i++) {
                    mean += probabilities[i] * (slow[i].meanMillis() + (additive ? base.meanMillis() : 0));
                    rest -= probabilities[i];
                }
                return mean + rest * base.meanMillis();
            }

            @Override
            public String describe() {
                StringBuilder s = new StringBuilder();
                double rest = 1;
                for (int i = 0; i < probabilities.length; i++) {
                    s.append(fmt(probabilities[i] * 100)).append("%: ").append(additive ? "+" : "")
                            .append(slow[i].describe()).append("; ");
                    rest -= probabilities[i];
                }
                return s.append(fmt(rest * 100)).append("%: ").append(base.describe()).toString();
            }
        };
    }

    static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.1f", v);
    }
}
