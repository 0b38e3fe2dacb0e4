package io.tailguard.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * Every other request offered during the brownout has its original refused and a retry served:
     * every request succeeds, but only half the originals were served.
     */
    @Test
    void originalsServedCountOnlyFirstAttemptsAnsweredDuringTheBrownout() throws Exception {
        Scenario s1 = Scenario.s1(true);
        StringBuilder csv = new StringBuilder("# synthetic\n");
        List<LabServer.Attempt> attempts = new ArrayList<>();
        int n = (int) (s1.totalSeconds() * 100);
        for (int id = 0; id < n; id++) {
            long scheduled = id * 10 * MS;
            boolean refused = scheduled >= 10_000 * MS && scheduled < 20_000 * MS && id % 2 == 0;
            csv.append(id).append(',').append(scheduled).append(',').append(20 * MS).append(",200,0\n");
            attempts.add(attempt(id, scheduled, LabServer.Kind.PRIMARY, refused ? 503 : 200));
            if (refused) {
                attempts.add(attempt(id, scheduled + MS, LabServer.Kind.RETRY, 200));
            }
        }
        LabServer.Attempt undelivered = attempts.stream()
                .filter(a -> a.id == 1001 && a.kind == LabServer.Kind.PRIMARY).findFirst().orElseThrow();
        undelivered.delivered = false; // answered after its caller had gone: not served
        Path file = dir.resolve("s1-originals.csv");
        Files.writeString(file, csv);
        LabResult result = new LabResult(LabResult.Mode.BOTH_ENDS, s1, file,
                new LabServer.ServerLog(attempts, 30, new int[0]));

        assertEquals(1.0, result.brownoutSuccessRate(), 1e-9, "every request succeeded");
        assertEquals(499 / 1000.0, result.brownoutOriginalSuccessRate(), 1e-9,
                "half the originals offered in the brownout's 10 s were refused, and one was not delivered");
    }

    /**
     * A synthetic S3 run: every request's handler costs 2 ms of CPU; every other request is hedged,
     * and with coalescing the hedge is answered without the handler. The server's process spent
     * 300 ms of CPU over the measured requests.
     */
    @Test
    void handlerRunsAndCpuCountOnlyWhatTheHandlerDid() throws Exception {
        Scenario s3 = Scenario.s3(true);
        StringBuilder csv = new StringBuilder("# synthetic\n");
        List<LabServer.Attempt> attempts = new ArrayList<>();
        int n = (int) (s3.totalSeconds() * 10);
        int measured = 0;
        for (int id = 0; id < n; id++) {
            long scheduled = id * 100 * MS;
            measured += scheduled >= s3.warmupSeconds * 1e9 ? 1 : 0;
            csv.append(id).append(',').append(scheduled).append(',').append(10 * MS).append(",200,0\n");
            attempts.add(handled(attempt(id, scheduled, LabServer.Kind.PRIMARY, 200)));
            if (id % 2 == 0) {
                attempts.add(attempt(id, scheduled + 5 * MS, LabServer.Kind.HEDGE, 200));
            }
        }
        Path file = dir.resolve("s3.csv");
        Files.writeString(file, csv);
        LabServer.ServerLog log = new LabServer.ServerLog(attempts, 0, new int[0], 300 * MS);
        Path serverCsv = dir.resolve("s3-server.csv");
        log.write(serverCsv);
        LabResult result = new LabResult(LabResult.Mode.BOTH_ENDS, s3, file, LabServer.ServerLog.read(serverCsv));

        assertEquals(measured, result.requests);
        assertEquals(1.5, result.amplification(), 0.01, "the hedges reached the server");
        assertEquals(1.0, result.handlerRunsPerRequest(), 1e-9, "the handler ran once per request");
        assertEquals(2.0, result.handlerCpuMsPerRequest(), 1e-9);
        assertEquals(300.0 / measured, result.processCpuMsPerRequest(), 1e-9);
        assertEquals("hedging + coalescing", result.label());
    }

    @Test
    void serverLogsWrittenBeforeHandlerRunsWereRecordedReadAsEveryAttemptHandled() throws Exception {
        Path old = dir.resolve("old-server.csv");
        Files.writeString(old, "# peak_queue=3 queue_every_10ms=0;1;2\n"
                + "id,kind,arrival_ns,queue_ns,service_ns,status,delivered,tags\n"
                + "7,RETRY,100,2,20,503,true,2/false/abc\n");
        LabServer.ServerLog log = LabServer.ServerLog.read(old);

        assertEquals(3, log.peakQueue);
        assertEquals(3, log.queueSamples.length);
        assertEquals(-1, log.processCpuNanos, "not measured");
        LabServer.Attempt a = log.attempts.get(0);
        assertTrue(a.handled);
        assertFalse(a.shed);
        assertEquals(503, a.status);
        assertEquals("2/false/abc", a.tags);
    }

    private static LabServer.Attempt handled(LabServer.Attempt a) {
        a.handled = true;
        a.cpuNanos = 2 * MS;
        return a;
    }

    private static LabServer.Attempt attempt(long id, long arrival, LabServer.Kind kind, int status) {
        LabServer.Attempt a = new LabServer.Attempt(id, arrival, kind);
        a.status = status;
        a.serviceNanos = 20 * MS;
        a.delivered = true;
        return a;
    }
}
