package io.tailguard.bench.overhead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
     * The agent adds a tenth to every round of a machine whose speed drifts by half from round to
     * round: in ms the extra time drifts with it, as a share of the round's own launch without the
     * agent it does not.
     */
    @Test
    void theRoundByRoundShareIsTheMedianOfEachRoundsExtraOverItsOwnLaunchWithoutTheAgent() {
        SplittableRandom random = new SplittableRandom(3);
        List<Double> base = new ArrayList<>();
        List<Double> with = new ArrayList<>();
        for (int round = 0; round < 120; round++) {
            double machine = 400 + random.nextDouble(200);
            base.add(machine);
            with.add(machine * 1.10);
        }
        double[] share = StartupRun.pairedShare(base, with);
        assertEquals(10, share[0], 1e-9);
        assertEquals(10, share[1], 1e-9);
        assertEquals(10, share[2], 1e-9);
        double[] ms = StartupRun.pairedExtra(base, with);
        assertTrue(ms[2] - ms[1] > 2, "in ms: " + ms[1] + " – " + ms[2]);
        assertEquals(50, StartupRun.pairedShare(List.of(100.0, 200.0, 400.0), List.of(150.0, 220.0, 600.0))[0], 1e-9);
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

    @Test
    void theApplicationIsTheJdkOnesUnlessTheClientsNameAnotherForTheTargetsPair() {
        assertEquals(StartupRun.App.JDK, StartupRun.App.of(List.of(), false));
        assertEquals(StartupRun.App.JDK, StartupRun.App.of(List.of("jdk"), false));
        assertEquals(StartupRun.App.JDK, StartupRun.App.of(List.of("jdk"), true));
        assertEquals(StartupRun.App.OKHTTP, StartupRun.App.of(List.of("okhttp"), true));
        assertEquals(StartupRun.App.APACHE5, StartupRun.App.of(List.of("apache5"), true));
        assertEquals(StartupRun.App.URLCONNECTION, StartupRun.App.of(List.of("urlconnection"), true));
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                () -> StartupRun.App.of(List.of("okhttp"), false));
        assertTrue(full.getMessage().contains("startup-target"), full.getMessage());
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class,
                () -> StartupRun.App.of(List.of("jdk", "okhttp"), true));
        assertTrue(two.getMessage().contains("--clients jdk,okhttp"), two.getMessage());
    }

    @Test
    void theOkHttpApplicationsLibraryHoldsOkHttpOkioAndKotlinAndNothingElse(@TempDir Path dir) throws IOException {
        Path source = jar(dir.resolve("source.jar"), "okhttp3/OkHttpClient.class", "okio/Buffer.class",
                "kotlin/Unit.class", "org/apache/Other.class", "io/tailguard/bench/Mine.class");
        Path written = StartupRun.writeLibraryJar(source, dir.resolve("out"), StartupRun.App.OKHTTP.library);
        try (JarFile jar = new JarFile(written.toFile())) {
            List<String> names = Collections.list(jar.entries()).stream().map(JarEntry::getName)
                    .filter(name -> !name.startsWith("META-INF/")).sorted().collect(Collectors.toList());
            assertEquals(List.of("kotlin/Unit.class", "okhttp3/OkHttpClient.class", "okio/Buffer.class"), names);
            assertEquals("okhttp3/OkHttpClient.class", new String(jar.getInputStream(
                    jar.getEntry("okhttp3/OkHttpClient.class")).readAllBytes(), StandardCharsets.UTF_8));
        }
        Path without = jar(dir.resolve("without.jar"), "org/apache/Other.class");
        assertThrows(IllegalStateException.class,
                () -> StartupRun.writeLibraryJar(without, dir.resolve("none"), StartupRun.App.OKHTTP.library));
    }

    /** A jar of these entries, each holding its own name. */
    private static Path jar(Path file, String... names) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(file))) {
            for (String name : names) {
                out.putNextEntry(new JarEntry(name));
                out.write(name.getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return file;
    }
}
