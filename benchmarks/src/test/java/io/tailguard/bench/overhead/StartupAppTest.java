package io.tailguard.bench.overhead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class StartupAppTest {

    @Test
    void aThreadsProcessorTimeIsReadFromItsSchedulerStatistics() {
        List<String> sched = List.of(
                "C2 CompilerThre (4242, #threads: 23)",
                "-------------------------------------------------------------------",
                "se.exec_start                                :      72196401.111511",
                "se.sum_exec_runtime                          :            74.198977",
                "nr_switches                                  :                  310");
        assertEquals("cpu-ms C2_CompilerThre 74.198977", StartupApp.threadCpuLine(sched));
    }

    @Test
    void aPoolsThreadsShareOneName() {
        List<String> first = List.of("HttpClient-1-Wo (100, #threads: 20)", "se.sum_exec_runtime : 1.5");
        List<String> second = List.of("HttpClient-1-Wo (101, #threads: 20)", "se.sum_exec_runtime : 2.5");
        assertEquals("cpu-ms HttpClient-N-Wo 1.5", StartupApp.threadCpuLine(first));
        assertEquals("cpu-ms HttpClient-N-Wo 2.5", StartupApp.threadCpuLine(second));
    }

    @Test
    void theNumbersOfPoolsAndGcWorkersBecomeNButACompilersTierStays() {
        assertEquals("cpu-ms GC_Thread#N 3.0", StartupApp.threadCpuLine(List.of("GC Thread#1 (7, #threads: 9)",
                "se.sum_exec_runtime : 3.0")));
        assertEquals("cpu-ms G1_Conc#N 0.5", StartupApp.threadCpuLine(List.of("G1 Conc#0 (8, #threads: 9)",
                "se.sum_exec_runtime : 0.5")));
        assertEquals("cpu-ms pool-N-thread-N 0.5", StartupApp.threadCpuLine(
                List.of("pool-12-thread-3 (9, #threads: 9)", "se.sum_exec_runtime : 0.5")));
    }

    @Test
    void aFileUnlikeTheSchedulersGivesNoLine() {
        assertNull(StartupApp.threadCpuLine(List.of()));
        assertNull(StartupApp.threadCpuLine(List.of("main (1, #threads: 1)", "nr_switches : 3")));
        assertNull(StartupApp.threadCpuLine(List.of("no parenthesis here", "se.sum_exec_runtime : 2.5")));
    }

    @Test
    void aThreadThatHasExitedGivesNoLine() {
        assertNull(StartupApp.threadCpuLine(Path.of("/proc/self/task/does-not-exist/sched")));
    }

    @Test
    void thisJvmsOwnMainThreadIsReadWhereTheKernelKeepsTheStatistics() throws Exception {
        Path tasks = Path.of("/proc/self/task");
        assumeTrue(Files.isDirectory(tasks), "no /proc on this machine");
        try (Stream<Path> threads = Files.list(tasks)) {
            assumeTrue(threads.anyMatch(task -> Files.isReadable(task.resolve("sched"))),
                    "no scheduler statistics on this machine");
        }
        // The launcher's first thread, whose id is the process's.
        long pid = ProcessHandle.current().pid();
        String line = StartupApp.threadCpuLine(tasks.resolve(Long.toString(pid)).resolve("sched"));
        assertTrue(line != null && line.startsWith("cpu-ms ") && Double.parseDouble(line.split(" ")[2]) > 0, line);
    }

    @Test
    void processCpuLineAddsUserAndSystemTicksAfterTheName() {
        // A name with a space and a parenthesis of its own: the fields start after the last ')'.
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194304 9000 0 12 0 31 7 0 0 20 0 23 0 1000 0 0";
        assertEquals("cpu-process-ms 380", StartupApp.processCpuLine(stat));
    }

    @Test
    void processCpuLineIsNullForAnUnexpectedLine() {
        assertNull(StartupApp.processCpuLine("no name here"));
        assertNull(StartupApp.processCpuLine("1 (java) S 1 2"));
        assertNull(StartupApp.processCpuLine("1 (java) S 1 2 3 4 5 6 7 8 9 x y 0 0"));
    }

    @Test
    void processCpuLineReadsThisProcess() throws Exception {
        Path stat = Path.of("/proc/self/stat");
        assumeTrue(Files.isReadable(stat), "Linux's /proc");
        String line = StartupApp.processCpuLine(Files.readString(stat));
        assertTrue(line.startsWith("cpu-process-ms "), line);
        assertTrue(Long.parseLong(line.substring("cpu-process-ms ".length())) > 0, line);
    }
}
