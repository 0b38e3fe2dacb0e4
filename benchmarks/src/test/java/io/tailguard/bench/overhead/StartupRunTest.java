package io.tailguard.bench.overhead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StartupRunTest {

    /**
     * Rounds whose machine is slower or quicker by up to 200 ms, which both launches of a round
     * share, and 5 ms of each launch's own noise: the round-by-round interval sees only the latter.
     */
    @Test
    void aDriftBothLaunchesOfARoundShareLeavesTheRoundByRoundIntervalNarrow() {
        SplittableRandom random = new SplittableRandom(1);
        List<Double> base = new ArrayList<>();
        List<Double> with = new ArrayList<>();
        for (int round = 0; round < 120; round++) {
            double machine = 600 + random.nextDouble(200);
            base.add(machine + random.nextDouble(5));
            with.add(machine + 90 + random.nextDouble(5));
        }
        double[] paired = StartupRun.pairedExtra(base, with);
        double[] unpaired = StartupRun.extra(base, with);
        assertEquals(90, paired[0], 2);
        assertTrue(paired[1] > 86 && paired[2] < 94, "round by round: " + paired[1] + " – " + paired[2]);
        assertTrue(unpaired[2] - unpaired[1] > 40, "difference of medians: " + unpaired[1] + " – " + unpaired[2]);
    }

    @Test
    void theRoundByRoundExtraIsTheMedianOfTheRoundsDifferences() {
        double[] paired = StartupRun.pairedExtra(List.of(100.0, 200.0, 300.0), List.of(110.0, 250.0, 320.0));
        assertEquals(20, paired[0]);
        assertTrue(paired[1] <= 20 && paired[2] >= 20);
    }

    /**
     * Four launches a round: the agent adds 90 ms to a machine that drifts by up to 200 ms from round
     * to round, and 12 ms less once something is switched off in both of the other pair.
     */
    @Test
    void theRoundByRoundExtraBeyondIsTheMedianOfTheRoundsDifferencesOfDifferences() {
        SplittableRandom random = new SplittableRandom(2);
        List<Double> base1 = new ArrayList<>();
        List<Double> with1 = new ArrayList<>();
        List<Double> base2 = new ArrayList<>();
        List<Double> with2 = new ArrayList<>();
        for (int round = 0; round < 120; round++) {
            double machine = 600 + random.nextDouble(200);
            base1.add(machine - 20 + random.nextDouble(5));
            with1.add(machine - 20 + 78 + random.nextDouble(5));
            base2.add(machine + random.nextDouble(5));
            with2.add(machine + 90 + random.nextDouble(5));
        }
        double[] beyond = StartupRun.pairedExtraBeyond(base1, with1, base2, with2);
        assertEquals(12, beyond[0], 2);
        assertTrue(beyond[1] > 8 && beyond[2] < 16, "round by round: " + beyond[1] + " – " + beyond[2]);
        assertEquals(-12, StartupRun.pairedExtraBeyond(base2, with2, base1, with1)[0], 2);
    }
}
