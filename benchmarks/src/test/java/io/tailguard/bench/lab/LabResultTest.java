package io.tailguard.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storm figures on a synthetic S1 run whose answers are known: 100 requests/s, each answered
 * in 20 ms, except that every other request scheduled between 10 s and 21 s fails once and is
 * retried at once (and then succeeds or not, as said below).
 */
class LabResultTest {

    private static final long MS = 1_000_000L;

    @TempDir
    Path dir;

    @Test
    void stormFiguresFollowFromAttemptsAndOutcomes() throws Exception {
        Scenario s1 = Scenario.s1(true); // warm-up 5 s, load 30 s, brownout 10 s .. 20 s
        StringBuilder csv = new StringBuilder("# synthetic\n");
        List<LabServer.Attempt> attempts = new ArrayList<>();
        int n = (int) (s1.totalSeconds() * 100);
        for (int id = 0; id < n; id++) {
            long scheduled = id * 10 * MS;
            boolean storm = scheduled >= 10_000 * MS && scheduled < 21_000 * MS && id % 2 == 0;
            int outcome = storm ? 503 : 200;
            csv.append(id).append(',').append(scheduled).append(',').append(20 * MS).append(',').append(outcome)
                    .append(",0\n");
            attempts.add(attempt(id, scheduled, LabServer.Kind.PRIMARY, storm ? 503 : 200));
            if (storm) {
                attempts.add(attempt(id, scheduled + MS, LabServer.Kind.RETRY, 503));
            }
        }
        Path file = dir.resolve("s1.csv");
        Files.writeString(file, csv);
        LabResult result = new LabResult(LabResult.Mode.TAILGUARD, s1, file, attempts, 0);

        assertEquals(n - 500, result.requests, "requests scheduled in the warm-up are left out");
        assertEquals(1.5, result.peakAmplification(), 0.02, "half the requests sent two attempts");
        assertEquals(0.5, result.brownoutSuccessRate(), 0.01);
        // Failures stop at 21 s; the retries leave the 1 s amplification window at 21.75 s.
        assertEquals(1.75, result.recoverySeconds(), 1e-9);
        assertEquals(1 + 550 / (double) (n - 500), result.amplification(), 1e-9);
        assertTrue(result.percentileMs(99.9) == 20.0);
    }

    private static LabServer.Attempt attempt(long id, long arrival, LabServer.Kind kind, int status) {
        LabServer.Attempt a = new LabServer.Attempt(id, arrival, kind);
        a.status = status;
        a.serviceNanos = 20 * MS;
        a.delivered = true;
        return a;
    }
}
