package io.tailguard.bench.overhead;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The smallest application that uses an HTTP client: it creates a JDK {@code HttpClient}, makes one
 * GET, prints the status and exits. Its class path holds only this class, so that the startup
 * measurement is of the JVM, the client and the agent, not of a large jar.
 *
 * <p>Before the status it prints {@code first-call-ms <ms>}, how long its one {@code send} took
 * (with the agent, that includes loading what the first handled request needs), and
 * {@code premain-ms <ms>}, what the agent's status says its premain took ({@code -1} without it),
 * then {@code cpu-ms} lines, its threads' processor time so far, and a {@code cpu-process-ms} line,
 * the whole process's ({@link #printThreadCpu}).
 * Given a second argument, a number, it first loads that many classes ({@link #loadClasses}), after
 * waiting as many milliseconds as a third argument says, if there is one; with
 * {@value #OPEN_CLASS_PATH} set, it opens every jar on its class path.
 */
public final class StartupApp {

    /**
     * The agent's status property, built at run time: the benchmarks jar relocates the agent's
     * package, and a literal naming it would be rewritten with it.
     */
    private static final String STATUS_PROPERTY = String.join(".", "io", "tailguard", "agent", "status");

    /**
     * Set to {@code true}, the application opens every jar on its class path before it builds its
     * client ({@link StartupRun}'s long class path).
     */
    static final String OPEN_CLASS_PATH = "startup.openClassPath";

    /** The unit of {@code /proc}'s process times: {@code USER_HZ}, 100 on every Linux architecture's ABI. */
    static final long MILLIS_PER_TICK = 10;

    private StartupApp() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 1) {
            loadClasses(Integer.parseInt(args[1]), args.length > 2 ? Long.parseLong(args[2]) : 0);
        }
        if (Boolean.getBoolean(OPEN_CLASS_PATH)) {
            // A resource no jar holds: the class loader opens every jar on the class path looking
            // for it, as it has by the time an application has loaded its own classes.
            ClassLoader.getSystemResource("io/tailguard/bench/no-such-resource");
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[0])).build();
        long started = System.nanoTime();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        long took = System.nanoTime() - started;
        System.out.println("first-call-ms " + took / 1e6);
        printAgentLines();
        System.out.println(response.statusCode());
    }

    /**
     * The lines after {@code first-call-ms}: {@code premain-ms}, then the threads' {@code cpu-ms} and
     * the process's {@code cpu-process-ms}.
     */
    static void printAgentLines() {
        System.out.println("premain-ms " + premainMillis(System.getProperty(STATUS_PROPERTY)));
        printThreadCpu();
    }

    /**
     * Prints {@code cpu-ms <thread> <ms>} for each of this JVM's threads: the processor time it has
     * had so far, read after the first response from Linux's {@code /proc/self/task/<tid>/sched}
     * ({@code se.sum_exec_runtime}, in ms with microseconds; the JIT's and the GC's threads too,
     * which no Java API shows without opening JDK internals, and a JVM option to open them would
     * change the startup being measured). The name is the kernel's (15 characters at most, spaces as
     * {@code _}), a number after {@code #} or {@code -} or at its end replaced by {@code N}, so that
     * one pool's threads add up (a compiler's tier, {@code C1} or {@code C2}, stays). Nothing where
     * that file is missing (another OS, a kernel without scheduler debugging). Then the process's
     * {@code cpu-process-ms} ({@link #processCpuLine}), read after the threads', so it also holds the
     * reading of theirs.
     */
    static void printThreadCpu() {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return;
        }
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                String line = threadCpuLine(thread.resolve("sched"));
                if (line != null) {
                    System.out.println(line);
                }
            }
            String process = processCpuLine(Files.readString(Path.of("/proc/self/stat")));
            if (process != null) {
                System.out.println(process);
            }
        } catch (IOException | RuntimeException unreadable) {
            // No breakdown: the startup figures stand without it.
        }
    }

    /**
     * {@code cpu-process-ms <ms>}: the whole process's processor time so far, from its {@code stat}
     * line (user and system time, fields 14 and 15, in the kernel's clock ticks of 10 ms, each
     * rounded down), threads that have ended included, which {@code /proc/self/task} no longer
     * lists; {@code null} where the line is unlike the expected.
     */
    static String processCpuLine(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return null;
        }
        // After the name in parentheses: field 3 (the state) onwards.
        String[] fields = stat.substring(close + 1).trim().split(" ");
        if (fields.length < 13) {
            return null;
        }
        try {
            long ticks = Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
            return "cpu-process-ms " + ticks * MILLIS_PER_TICK;
        } catch (NumberFormatException unlike) {
            return null;
        }
    }

    /** One thread's {@code cpu-ms} line, or {@code null} if its file is gone or unlike the expected. */
    static String threadCpuLine(Path sched) {
        List<String> lines;
        try {
            lines = Files.readAllLines(sched);
        } catch (IOException exited) {
            return null;
        }
        return threadCpuLine(lines);
    }

    static String threadCpuLine(List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        String header = lines.get(0);
        int open = header.lastIndexOf(" (");
        if (open <= 0) {
            return null;
        }
        String name = header.substring(0, open).replaceAll("(?<=[#-])[0-9]+|[0-9]+$", "N").replace(' ', '_');
        for (String line : lines) {
            if (line.startsWith("se.sum_exec_runtime")) {
                String ms = line.substring(line.indexOf(':') + 1).trim();
                return "cpu-ms " + name + " " + Double.parseDouble(ms);
            }
        }
        return null;
    }

    /**
     * Loads up to {@code count} classes of {@code java.desktop}, none of them initialised, as a
     * larger application loads its framework before its first call, and prints {@code classes
     * <loaded> <ms>}: every class a JVM defines passes the agents' transformers. Waits
     * {@code pauseMillis} first (once the names are listed): classes loaded at once share the
     * processors with whatever an agent still does at startup, classes loaded later do not.
     */
    private static void loadClasses(int count, long pauseMillis) throws Exception {
        List<String> names;
        Path module = FileSystems.getFileSystem(URI.create("jrt:/")).getPath("/modules/java.desktop");
        try (Stream<Path> files = Files.walk(module)) {
            names = files.map(file -> module.relativize(file).toString())
                    .filter(name -> name.endsWith(".class") && !name.equals("module-info.class"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.'))
                    .sorted().limit(count).collect(Collectors.toList());
        }
        if (pauseMillis > 0) {
            Thread.sleep(pauseMillis);
        }
        int loaded = 0;
        long started = System.nanoTime();
        for (String name : names) {
            try {
                Class.forName(name, false, null);
                loaded++;
            } catch (ClassNotFoundException | LinkageError skipped) {
                // Not counted: a class this JVM cannot define (a platform-specific one).
            }
        }
        System.out.println("classes " + loaded + " " + (System.nanoTime() - started) / 1e6);
    }

    /** The agent's {@code premain=38.2 ms} status field, or -1. */
    static double premainMillis(String status) {
        int at = status == null ? -1 : status.indexOf("premain=");
        if (at < 0) {
            return -1;
        }
        int end = status.indexOf(" ms", at);
        return Double.parseDouble(status.substring(at + "premain=".length(), end));
    }
}
