package io.tailguard.bench.overhead;

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
 * {@code premain-ms <ms>}, what the agent's status says its premain took ({@code -1} without it).
 * Given a second argument, a number, it first loads that many classes ({@link #loadClasses}); with
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

    private StartupApp() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 1) {
            loadClasses(Integer.parseInt(args[1]));
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
        System.out.println("premain-ms " + premainMillis(System.getProperty(STATUS_PROPERTY)));
        System.out.println(response.statusCode());
    }

    /**
     * Loads up to {@code count} classes of {@code java.desktop}, none of them initialised, as a
     * larger application loads its framework before its first call, and prints {@code classes
     * <loaded> <ms>}: every class a JVM defines passes the agents' transformers.
     */
    private static void loadClasses(int count) throws Exception {
        List<String> names;
        Path module = FileSystems.getFileSystem(URI.create("jrt:/")).getPath("/modules/java.desktop");
        try (Stream<Path> files = Files.walk(module)) {
            names = files.map(file -> module.relativize(file).toString())
                    .filter(name -> name.endsWith(".class") && !name.equals("module-info.class"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.'))
                    .sorted().limit(count).collect(Collectors.toList());
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
