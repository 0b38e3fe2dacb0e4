package io.tailguard.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What a report says about where it was measured: CPU, cores, OS, JDK, and how busy the machine was. */
public final class Machine {

    private Machine() {
    }

    public static String describe(String java) {
        return "CPU: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores; "
                + System.getProperty("os.name") + " " + System.getProperty("os.version") + "; JVM: "
                + javaVersion(java) + "; " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    /** The 1-minute load average, or NaN where the OS does not say. */
    public static double loadAverage() {
        Path file = Paths.get("/proc/loadavg");
        try {
            return Double.parseDouble(Files.readString(file).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    /** The version line of {@code java -version} for the JVM the forks run on. */
    public static String javaVersion(String java) {
        try {
            List<String> command = new ArrayList<>(List.of(java, "-version"));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            String[] lines = out.split("\n");
            return lines.length > 1 ? lines[1].trim() : out.trim();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
