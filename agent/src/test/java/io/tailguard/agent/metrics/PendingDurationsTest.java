package io.tailguard.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingDurationsTest {

    @Test
    void handsBufferedDurationsOverInOrderAndForwardsLaterOnes() {
        PendingDurations pending = new PendingDurations();
        List<String> recorded = new ArrayList<>();
        pending.record(0, 5);
        pending.record(2, 7);

        pending.drainTo((outcome, nanos) -> recorded.add(outcome + ":" + nanos));
        pending.record(1, 9);

        assertEquals(List.of("0:5", "2:7", "1:9"), recorded);
    }

    @Test
    void keepsAtMostItsCapacity() {
        PendingDurations pending = new PendingDurations();
        for (int i = 0; i < PendingDurations.CAPACITY + 10; i++) {
            pending.record(0, i);
        }
        List<Long> recorded = new ArrayList<>();

        pending.drainTo((outcome, nanos) -> recorded.add(nanos));

        assertEquals(PendingDurations.CAPACITY, recorded.size());
        assertEquals(PendingDurations.CAPACITY - 1, recorded.get(recorded.size() - 1));
    }
}
