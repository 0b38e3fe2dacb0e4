package io.tailguard.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storm figures on a synthetic S1 run whose answers are known: 100 requests/s, each answered
 * in 20 ms, except that every other request scheduled between 10 s and 21 s fails after a retry
 * sent at once; the server's queue holds 30 requests from 10 s until it drains at 21.3 s, and
 * 0–1 before and after.
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
        int[] queue = new int[(int) (s1.totalSeconds() * 100)];
        for (int i = 0; i < queue.length; i++) {
            queue[i] = i >= 1000 && i < 2130 ? 30 : i % 2;
        }
        LabResult result = new LabResult(LabResult.Mode.TAILGUARD, s1, file,
                new LabServer.ServerLog(attempts, 30, queue));

        assertEquals(n - 500, result.requests, "requests scheduled in the warm-up are left out");
        assertEquals(1.5, result.peakAmplification(), 0.02, "half the requests sent two attempts");
        assertEquals(0.5, result.brownoutSuccessRate(), 0.01);
        assertEquals(1.3, result.backlogDrainedSeconds(), 1e-9);
        // Failures stop at 21 s and the backlog at 21.3 s, but the retries leave the 1 s
        // amplification window only at 21.75 s.
        assertEquals(1.75, result.recoverySeconds(), 1e-9);
        assertEquals(1 + 550 / (double) (n - 500), result.amplification(), 1e-9);
        assertEquals(20.0, result.percentileMs(99.9), 1e-9);
    }

    private static LabServer.Attempt attempt(long id, long arrival, LabServer.Kind kind, int status) {
        LabServer.Attempt a = new LabServer.Attempt(id, arrival, kind);
        a.status = status;
        a.serviceNanos = 20 * MS;
        a.delivered = true;
        return a;
    }
}
