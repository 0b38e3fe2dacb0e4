package io.tailguard.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape of an agent's Prometheus endpoint, made from the test JVM (no agent here), parsed into
 * {@code name{label="value",...}} (labels sorted) → value.
 */
public final class PrometheusScrape {

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
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
     */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until the agent serves its endpoint on {@code port} ({@link #freePort}). Until it has
     * bound the port, the next bind to port 0 on the machine may take it, such as the server an
     * application then starts on port 0: a test starts nothing of the kind before this returns.
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
