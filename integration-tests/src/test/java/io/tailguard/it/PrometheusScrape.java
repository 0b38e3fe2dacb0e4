package io.tailguard.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape of an agent's Prometheus endpoint, made from the test JVM (no agent here), parsed into
 * {@code name{label="value",...}} (labels sorted) → value.
 */
public final class PrometheusScrape {

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    /** How many ports below the ephemeral range {@link #freePort} picks from. */
    static final int PORTS_BELOW_EPHEMERAL = 10_000;
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String text;
    private final Map<String, Double> samples;
    private final String contentType;

    private PrometheusScrape(String text, String contentType) {
        this.text = text;
        this.contentType = contentType;
        this.samples = parse(text);
    }

    /**
     * A port on 127.0.0.1 that was free a moment ago, for a server that cannot be told to bind port 0
     * and report it: the agent's endpoint, nginx ({@code NginxFronted}).
     *
     * <p>On Linux it lies below the kernel's range of ephemeral ports
     * ({@code /proc/sys/net/ipv4/ip_local_port_range}), from which the kernel picks the port of every
     * bind to port 0 and of every outgoing connection: a port from that range could be taken by any of
     * those between this check and the server's own bind, which comes a JVM start later. Below it, only
     * a server asking for that very port could. Elsewhere, the kernel's own choice for port 0.
     */
    public static int freePort() {
        int ephemeralFrom = ephemeralRangeStart();
        if (ephemeralFrom > PORTS_BELOW_EPHEMERAL + 1024) {
            for (int attempt = 0; attempt < 100; attempt++) {
                int port = ephemeralFrom - 1 - ThreadLocalRandom.current().nextInt(PORTS_BELOW_EPHEMERAL);
                if (bindable(port)) {
                    return port;
                }
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first port of the kernel's ephemeral range, or 0 where it cannot be read. */
    static int ephemeralRangeStart() {
        // Line by line: Files.readString gave only the first byte of this file, whose size procfs reports as 0.
        try (BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            String range = in.readLine();
            return Integer.parseInt(range.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException notLinux) {
            return 0;
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    /**
     * Waits until the agent serves its endpoint on {@code port} ({@link #freePort}): before an
     * application that the test drives starts anything of its own, and on a machine where that port
     * may come from the ephemeral range.
     */
    public static void awaitEndpoint(int port) throws Exception {
        of(port);
    }

    /**
     * {@code GET http://127.0.0.1:port/metrics}, retried while the port is still closed: the agent
     * opens it on a background thread a little after the application starts.
     */
    public static PrometheusScrape of(int port) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new AssertionError("scrape answered " + response.statusCode() + ": " + response.body());
                }
                return new PrometheusScrape(response.body(), response.headers().firstValue("Content-Type").orElse(""));
            } catch (ConnectException closed) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the metrics endpoint on port " + port + " did not open within 30 s");
                }
                Thread.sleep(50);
            }
        }
    }

    /** The value of one sample, or {@code null} when the scrape has no such series. */
    public Double value(String name, String... labels) {
        return samples.get(key(name, labels));
    }

    public Map<String, Double> samples() {
        return samples;
    }

    public String text() {
        return text;
    }

    public String contentType() {
        return contentType;
    }

    public static String key(String name, String... labels) {
        Map<String, String> sorted = new TreeMap<>();
        for (int i = 0; i + 1 < labels.length; i += 2) {
            sorted.put(labels[i], labels[i + 1]);
        }
        StringBuilder key = new StringBuilder(name);
        if (!sorted.isEmpty()) {
            key.append('{');
            String separator = "";
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                key.append(separator).append(e.getKey()).append("=\"").append(e.getValue()).append('"');
                separator = ",";
            }
            key.append('}');
        }
        return key.toString();
    }

    public static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line.trim());
            if (!sample.matches()) {
                throw new AssertionError("not a Prometheus sample line: " + line);
            }
            String[] labels = new String[0];
            if (sample.group(3) != null) {
                java.util.List<String> pairs = new java.util.ArrayList<>();
                Matcher label = LABEL.matcher(sample.group(3));
                while (label.find()) {
                    pairs.add(label.group(1));
                    pairs.add(label.group(2));
                }
                labels = pairs.toArray(new String[0]);
            }
            String value = sample.group(4);
            samples.put(key(sample.group(1), labels), "+Inf".equals(value) ? Double.POSITIVE_INFINITY
                    : "-Inf".equals(value) ? Double.NEGATIVE_INFINITY : Double.valueOf(value));
        }
        return samples;
    }
}
