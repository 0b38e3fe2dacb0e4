package io.tailguard.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LatencyModelTest {

    @Test
    void t1StallsTwoPercentOfAttemptsForOneSecondAndServesTheRestInFiveToFifteenMs() {
        LatencyModel t1 = Scenario.t1(true).latency;
        int n = 200_000;
        int stalls = 0;
        for (int id = 0; id < n; id++) {
            long nanos = t1.sampleNanos(1, id, 0);
            if (nanos == 1_000_000_000L) {
                stalls++;
            } else {
                assertTrue(nanos >= 5_000_000 && nanos <= 15_000_000, "fast attempt took " + nanos + " ns");
            }
        }
        assertEquals(0.02, stalls / (double) n, 0.002);
    }

    @Test
    void t2DelaysAsGrpcJavasExampleServerDoes() {
        LatencyModel t2 = Scenario.t2(true).latency;
        int n = 200_000;
        int[] counts = new int[4];
        for (int id = 0; id < n; id++) {
            long millis = t2.sampleNanos(1, id, 0) / 1_000_000;
            counts[millis >= 10_000 ? 3 : millis >= 5_000 ? 2 : millis >= 2_000 ? 1 : 0]++;
        }
        assertEquals(0.90, counts[0] / (double) n, 0.005);
        assertEquals(0.05, counts[1] / (double) n, 0.003);
        assertEquals(0.04, counts[2] / (double) n, 0.003);
        assertEquals(0.01, counts[3] / (double) n, 0.002);
    }

    @Test
    void theMeanIsWhatTheDrawsAverageAndBoundsWhatS1sBrownoutCanServe() {
        for (LatencyModel model : new LatencyModel[] {Scenario.t1(true).latency, Scenario.t2(true).latency,
            Scenario.s1(true).latency}) {
            double sum = 0;
            int n = 200_000;
            for (int id = 0; id < n; id++) {
                sum += model.sampleNanos(1, id, 0) / 1e6;
            }
            assertEquals(model.meanMillis(), sum / n, model.meanMillis() * 0.02, model.describe());
        }
        // 2 workers of 20 ms each serve 100 of the 160 requests/s offered.
        assertEquals(0.625, Scenario.s1(true).brownoutCapacityBound(), 1e-9);
        assertTrue(Double.isNaN(Scenario.t1(true).brownoutCapacityBound()));
    }

    @Test
    void anAttemptDrawsTheSameLatencyInEveryRunButIndependentlyOfTheOtherAttempts() {
        LatencyModel model = LatencyModel.uniform(0, 1000);
        assertEquals(model.sampleNanos(7, 42, 0), model.sampleNanos(7, 42, 0));
        assertNotEquals(model.sampleNanos(7, 42, 0), model.sampleNanos(7, 42, 1));
        assertNotEquals(model.sampleNanos(7, 42, 0), model.sampleNanos(7, 43, 0));
    }
}
