package io.tailguard.it.servers;

import io.tailguard.it.app.Wire;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Python's {@code http.server} as a {@link ScriptedServer}: {@code servers/scripted_server.py}
 * (next to this class's resources) in a {@code python3} process the test starts and stops. The
 * test scripts it and reads what it recorded over the process's stdin and stdout.
 */
final class PythonHttpServerScripted implements ScriptedServer {

    private final Process process;
    private final Writer control;
    private final CompletableFuture<Integer> ready = new CompletableFuture<>();
    private final Map<String, CompletableFuture<Void>> acks = new ConcurrentHashMap<>();
    private final Map<String, List<Recorded>> arrivals = new HashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final StringBuffer stderr = new StringBuffer();
    private final int port;

    PythonHttpServerScripted() {
        try {
            process = new ProcessBuilder("python3", "-u", script().toString()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start python3", e);
        }
        control = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        daemon(this::readStdout, "python-server-stdout");
        daemon(this::readStderr, "python-server-stderr");
        try {
            port = ready.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("the Python server did not start; stderr:\n" + stderr, e);
        }
    }

    private static Path script() {
        try {
            return Paths.get(PythonHttpServerScripted.class.getResource("/servers/scripted_server.py").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void daemon(Runnable body, String name) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public ServerKind kind() {
        return ServerKind.PYTHON_HTTP_SERVER;
    }

    @Override
    public void plan(String path, Reply... replies) {
        Map<String, String> message = new LinkedHashMap<>();
        message.put("verb", "plan");
        message.put("path", path);
        message.put("count", Integer.toString(replies.length));
        for (int i = 0; i < replies.length; i++) {
            Reply reply = replies[i];
            String prefix = "r" + i + ".";
            message.put(prefix + "status", Integer.toString(reply.status));
            message.put(prefix + "body", reply.body);
            message.put(prefix + "delayMs", Long.toString(reply.delayMs));
            message.put(prefix + "drop", Boolean.toString(reply.drop));
            List<String> headers = new ArrayList<>();
            reply.headers.forEach((name, value) -> headers.add(name + ": " + value));
            message.put(prefix + "headers", String.join("\n", headers));
        }
        roundTrip(message);
    }

    /**
     * The server writes each arrival to stdout before it answers the request, and answers a
     * command only after the lines written before it: after this round trip, every request the
     * client has had an answer to is recorded here.
     */
    @Override
    public List<Recorded> arrivals(String path) {
        roundTrip(new LinkedHashMap<>(Map.of("verb", "sync")));
        synchronized (arrivals) {
            return List.copyOf(arrivals.getOrDefault(path, List.of()));
        }
    }

    private void roundTrip(Map<String, String> message) {
        String id = Integer.toString(ids.incrementAndGet());
        message.put("id", id);
        CompletableFuture<Void> ack = new CompletableFuture<>();
        acks.put(id, ack);
        try {
            synchronized (control) {
                control.write(Wire.encode(message) + "\n");
                control.flush();
            }
            ack.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the Python server did not answer " + message + "; stderr:\n" + stderr, e);
        }
    }

    private void readStdout() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                Map<String, String> message = Wire.decode(line);
                switch (message.getOrDefault("type", "")) {
                    case "ready":
                        ready.complete(Integer.parseInt(message.get("port")));
                        break;
                    case "ack":
                        CompletableFuture<Void> ack = acks.remove(message.get("id"));
                        if (ack != null) {
                            ack.complete(null);
                        }
                        break;
                    case "arrival":
                        String headers = message.getOrDefault("headers", "");
                        Recorded request = new Recorded(message.get("method"), message.get("path"),
                                message.getOrDefault("body", ""),
                                headers.isEmpty() ? List.of() : Arrays.asList(headers.split("\n")));
                        synchronized (arrivals) {
                            arrivals.computeIfAbsent(request.path, p -> new ArrayList<>()).add(request);
                        }
                        break;
                    default:
                        break;
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
        ready.completeExceptionally(new IllegalStateException("the Python server exited"));
    }

    private void readStderr() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                stderr.append(line).append('\n');
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public void close() {
        try {
            control.close();
        } catch (IOException ignored) {
            // already gone
        }
        awaitExit(process);
    }

    /** Waits up to five seconds for a server's process to end (its input closed, or asked to), then ends it. */
    static void awaitExit(Process process) {
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
