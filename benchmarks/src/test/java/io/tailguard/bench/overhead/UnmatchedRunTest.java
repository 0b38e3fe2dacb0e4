package io.tailguard.bench.overhead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.bench.overhead.UnmatchedRun.Jvm;
import io.tailguard.bench.overhead.UnmatchedRun.Metric;
import io.tailguard.bench.overhead.UnmatchedRun.Variant;
import io.tailguard.bench.report.Verdict;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UnmatchedRunTest {

    /**
     * One JVM's output as {@link UnmatchedApp} prints it: two rounds of 100 steady turns, the
     * unmatched and control addresses' calls taking {@code unmatched} and {@code control} ns each,
     * the handled address's ten times as long; one turn held up per round.
     */
    private static Jvm jvm(long unmatched, long control) {
        List<String> lines = new ArrayList<>();
        lines.add("warming up");
        for (int round = 0; round < 2; round++) {
            for (String address : UnmatchedApp.ADDRESSES) {
                long perCall = address.equals(UnmatchedApp.UNMATCHED) ? unmatched
                        : address.equals(UnmatchedApp.CONTROL) ? control : 10 * unmatched;
                // round, address, calls, wall, cpu, alloc, turns held up
                lines.add(String.join(" ", "round", Integer.toString(round), address, "100",
                        Long.toString(perCall * 100), Long.toString(perCall * 50), "1000", "1"));
            }
        }
        return Jvm.parse(lines);
    }

    private static Map<Variant, List<Jvm>> sets(List<Jvm> none, Variant variant, List<Jvm> with) {
        Map<Variant, List<Jvm>> runs = new EnumMap<>(Variant.class);
        runs.put(Variant.NONE, none);
        runs.put(variant, with);
        return runs;
    }

    @Test
    void eachAgentJvmIsComparedWithTheJvmWithoutTheAgentOfItsOwnSet() {
        Map<Variant, List<Jvm>> runs = sets(List.of(jvm(5_000, 5_000), jvm(9_000, 9_000)),
                Variant.MIXED, List.of(jvm(5_400, 5_400), jvm(9_200, 9_200)));

        List<Double> differences = UnmatchedRun.differences(runs, Variant.MIXED, Metric.WALL);

        assertEquals(List.of(0.4, 0.2), differences.stream().map(d -> Math.round(d * 1e6) / 1e6).toList());
    }

    @Test
    void theFigureOfOneJvmIsTheMeanOfItsTwoUnmatchedAddressesNeverOfTheHandledOne() {
        Jvm run = jvm(4_000, 6_000);

        assertEquals(2, run.rounds());
        assertEquals(5.0, run.mean(Metric.WALL), 1e-9);
        assertEquals(2.5, run.mean(Metric.CPU), 1e-9);
        assertEquals(10.0, run.mean(Metric.ALLOC), 1e-9);
        assertEquals(200, run.steadyTurns);
        assertEquals(2, run.heldUpTurns);
    }

    @Test
    void theIntervalIsOverTheSets() {
        Map<Variant, List<Jvm>> runs = sets(List.of(jvm(5_000, 5_000), jvm(5_000, 5_000), jvm(5_000, 5_000)),
                Variant.IDLE, List.of(jvm(5_100, 5_100), jvm(5_000, 5_000), jvm(5_200, 5_200)));

        double[] ci = UnmatchedRun.added(runs, Variant.IDLE, Metric.WALL);

        assertEquals(0.1, ci[0], 1e-9);
        // Student's t with 2 degrees of freedom (4.3027) times the standard error 0.1 / sqrt(3).
        assertEquals(0.1 - 4.3027 * 0.1 / Math.sqrt(3), ci[1], 1e-3);
        assertEquals(0.1 + 4.3027 * 0.1 / Math.sqrt(3), ci[2], 1e-3);
    }

    @Test
    void twoJvmsWithoutTheAgentDifferingByAsMuchAsTheTargetLeaveTheVerdictOpen() {
        double[] within = {0.05, 0.01, 0.09};

        assertEquals(Verdict.MEETS, UnmatchedRun.verdict(within, new double[] {0, -0.1, 0.1}));
        assertTrue(UnmatchedRun.verdict(within, new double[] {0, -0.3, 0.3}).startsWith("unclear"));
        assertEquals(Verdict.FALLS_SHORT, UnmatchedRun.verdict(new double[] {0.5, 0.3, 0.7}, new double[] {0, -0.1, 0.1}));
    }
}
