package io.tailguard.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void percentilesAreNearestRankSoTheyAreAlwaysMeasuredValues() {
        long[] sorted = new long[1000];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = i + 1;
        }
        assertEquals(500, Stats.percentile(sorted, 50));
        assertEquals(990, Stats.percentile(sorted, 99));
        assertEquals(999, Stats.percentile(sorted, 99.9));
        assertEquals(1000, Stats.percentile(sorted, 100));
        assertEquals(1, Stats.percentile(sorted, 0));
    }

    @Test
    void pairedDifferencesAreTakenIndexByIndexOverTheShorterList() {
        assertEquals(List.of(1.0, -2.0), Stats.differences(List.of(3.0, 1.0, 9.0), List.of(2.0, 3.0)));
    }

    @Test
    void sampleMedianInterpolatesBetweenTheMiddleValues() {
        assertEquals(2.5, Stats.median(List.of(4.0, 1.0, 3.0, 2.0)));
        assertEquals(3.0, Stats.median(List.of(5.0, 1.0, 3.0)));
    }

    @Test
    void intervalOverAFewValuesUsesStudentsTForTheirDegreesOfFreedom() {
        // Five JVMs' means: t(4) = 2.776, standard error sqrt(2.5 / 5).
        double[] ci = Stats.meanInterval(List.of(1.0, 2.0, 3.0, 4.0, 5.0));
        assertEquals(3.0, ci[0], 1e-9);
        assertEquals(3.0 - 2.7764 * Math.sqrt(0.5), ci[1], 1e-3);
        assertEquals(3.0 + 2.7764 * Math.sqrt(0.5), ci[2], 1e-3);
        assertEquals(4.3027, Stats.tQuantile975(2), 1e-4);
        assertEquals(2.0860, Stats.tQuantile975(20), 2e-3);
    }

    @Test
    void verdictIsUnclearWhenRoundsStraddleTheTarget() {
        assertEquals(Verdict.MEETS, Verdict.below(List.of(0.5, 0.9), 1.0));
        assertEquals(Verdict.FALLS_SHORT, Verdict.below(List.of(1.0, 1.4), 1.0));
        assertEquals(Verdict.UNCLEAR, Verdict.below(List.of(0.9, 1.1), 1.0));
        assertEquals(Verdict.UNRESOLVED, Verdict.below(List.of(-54.0, -7.0), 1.0),
                "rounds 47 µs apart cannot show a cost below 1 µs");
    }

    @Test
    void binomialTailIsTheOneSidedChanceOfAtLeastThatMany() {
        // P(X >= 8) for 10 fair coins: (45 + 10 + 1) / 1024.
        assertEquals(56.0 / 1024, Stats.binomialAtLeast(8, 10, 0.5), 1e-12);
        assertEquals(1.0, Stats.binomialAtLeast(0, 10, 0.5));
        assertEquals(1.0 / 1024, Stats.binomialAtLeast(10, 10, 0.5), 1e-12);
        assertEquals(0.0, Stats.binomialAtLeast(11, 10, 0.5));
        // Thousands of trials: no overflow; half of them or more is a coin's even chance and a bit.
        assertEquals(0.5, Stats.binomialAtLeast(5000, 10_000, 0.5), 0.01);
        assertEquals(0.0, Stats.binomialAtLeast(6000, 10_000, 0.5), 1e-12);
    }
}
