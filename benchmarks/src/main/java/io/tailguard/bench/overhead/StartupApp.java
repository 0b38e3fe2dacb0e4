package io.tailguard.bench.overhead;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * The smallest application that uses an HTTP client: it creates a JDK {@code HttpClient}, makes one
 * GET, prints the status and exits. Its class path holds only this class, so that the startup
 * measurement is of the JVM, the client and the agent, not of a large jar.
 *
 * <p>Before the status it prints {@code first-call-ms <ms>}, how long its one {@code send} took
 * (with the agent, that includes loading what the first handled request needs), and
 * {@code premain-ms <ms>}, what the agent's status says its premain took ({@code -1} without it).
 */
public final class StartupApp {

    /**
     * The agent's status property, built at run time: the benchmarks jar relocates the agent's
     * package, and a literal naming it would be rewritten with it.
     */
    private static final String STATUS_PROPERTY = String.join(".", "io", "tailguard", "agent", "status");

    private StartupApp() {
    }

    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[0])).build();
        long started = System.nanoTime();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        long took = System.nanoTime() - started;
        System.out.println("first-call-ms " + took / 1e6);
        System.out.println("premain-ms " + premainMillis(System.getProperty(STATUS_PROPERTY)));
        System.out.println(response.statusCode());
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
