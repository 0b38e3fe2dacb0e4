package io.tailguard.bench.overhead;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PairedRunTest {

    @Test
    void anArmHeldUpFourTimesAsOftenOverAsManyCallsIsHeldUpMoreOften() {
        assertTrue(PairedRun.heldUpMoreOften(20, 60_000, 5, 60_000));
    }

    @Test
    void countsWithinChanceOfEachOtherAreNot() {
        // Twenty JVMs of JDK send on one host: 10.8 and 10.3 per 10,000 of 120,000 calls each.
        assertFalse(PairedRun.heldUpMoreOften(130, 120_000, 124, 120_000));
        assertFalse(PairedRun.heldUpMoreOften(12, 60_000, 10, 60_000));
        assertFalse(PairedRun.heldUpMoreOften(0, 60_000, 0, 60_000));
    }

    @Test
    void fewerHeldUpCallsAreNeverMoreOften() {
        assertFalse(PairedRun.heldUpMoreOften(5, 60_000, 20, 60_000));
    }

    @Test
    void theCountsAreWeighedByHowManyCallsEachArmMade() {
        // Twice the held-up calls over twice the calls: the same rate.
        assertFalse(PairedRun.heldUpMoreOften(40, 120_000, 20, 60_000));
        assertTrue(PairedRun.heldUpMoreOften(40, 60_000, 20, 60_000));
    }

    @Test
    void aHandledArmAgainstBothUnmatchedArmsTogetherIsJudgedByTheirPooledRate() {
        // HttpURLConnection, twenty JVMs: 102 held up on the hedged arm, 69 on the unmatched one
        // but 107 on the control. Against the unmatched arm alone it looks high; against both, not.
        assertTrue(PairedRun.heldUpMoreOften(102, 120_000, 69, 120_000));
        assertFalse(PairedRun.heldUpMoreOften(102, 120_000, 69 + 107, 240_000));
    }
}
