package io.tailguard.it.server;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.server.app.BootServerMain;
import io.tailguard.it.server.app.ServletServerMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A servlet application in a JVM of its own ({@link ServletServerMain} in one of the containers, or
 * the Spring Boot application {@link BootServerMain}), with or without the agent; requests go to it
 * over raw sockets, so that a test sees every byte the container sends.
 */
final class ServletServer implements AutoCloseable {

    /** The containers, each with its jars copied by the build to {@code target/clients/<folder>}. */
    enum Container {
        TOMCAT_11("tomcat-11", "tomcat-jakarta"),
        TOMCAT_10("tomcat-10.1", "tomcat-jakarta"),
        TOMCAT_9("tomcat-9", "tomcat-javax"),
        JETTY_12("jetty-12", "jetty");

        final String folder;
        final String argument;

        Container(String folder, String argument) {
            this.folder = folder;
            this.argument = argument;
        }
    }

    private final AgentedApp app;
    private final int port;

    private ServletServer(AgentedApp app) {
        this.app = app;
        this.port = Integer.parseInt(app.send("port", Map.of(), 30).get("port"));
    }

    static ServletServer start(Container container, AgentedApp.Builder builder) {
        return launch(container, builder, container.argument);
    }

    /** A Tomcat whose connector has {@code maxThreads} worker threads. */
    static ServletServer startTomcat(Container container, AgentedApp.Builder builder, int maxThreads) {
        return launch(container, builder, container.argument, Integer.toString(maxThreads));
    }

    /** The Spring Boot application ({@link BootServerMain}) on the jars Boot's BOM chose, copied by the build. */
    static ServletServer springBoot(AgentedApp.Builder builder) {
        String jars = Paths.get(System.getProperty("tailguard.it.spring-boot")).resolve("*").toString();
        return new ServletServer(builder.classpath(jars).main(BootServerMain.class.getName()).start());
    }

    private static ServletServer launch(Container container, AgentedApp.Builder builder, String... arguments) {
        return new ServletServer(builder.classpath(AgentedApp.clientClasspath(container.folder))
                .main(ServletServerMain.class.getName(), arguments).start());
    }

    AgentedApp app() {
        return app;
    }

    int port() {
        return port;
    }

    /** How often the application's handler ran for {@code path}. */
    int runs(String path) {
        return Integer.parseInt(app.send("runs", Map.of("path", path), 30).get("runs"));
    }

    /** Waits until the handler has started {@code count} runs for {@code path}. */
    void awaitRuns(String path, int count) {
        Map<String, String> answer = app.send("awaitRuns", Map.of("path", path, "count", Integer.toString(count)), 90);
        if (!Boolean.parseBoolean(answer.get("reached"))) {
            throw new AssertionError(path + " ran " + answer.get("runs") + " times, not " + count);
        }
    }

    /** Waits until {@code count} requests wait in the agent for another attempt of theirs to finish. */
    void awaitWaiting(int count) {
        Map<String, String> answer = app.send("awaitWaiting", Map.of("count", Integer.toString(count)), 90);
        if (!Boolean.parseBoolean(answer.get("reached"))) {
            throw new AssertionError("fewer than " + count + " requests wait for another attempt:\n" + app.stderr());
        }
    }

    /** Waits until {@code count} requests wait in Tomcat's executor for a worker thread. */
    void awaitQueued(int count) {
        Map<String, String> answer = app.send("awaitQueued", Map.of("count", Integer.toString(count)), 90);
        if (!Boolean.parseBoolean(answer.get("reached"))) {
            throw new AssertionError("fewer than " + count + " requests wait for a thread:\n" + app.stderr());
        }
    }

    /** Lets the held runs for {@code path} finish. */
    void release(String path) {
        app.send("release", Map.of("path", path), 30);
    }

    /** Sends {@code request} (a whole HTTP/1.1 request, which should ask to close) and returns every byte of the answer. */
    byte[] exchange(String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            in.transferTo(answer);
            return answer.toByteArray();
        }
    }

    /**
     * Sends {@code request} like {@link #exchange}, on a thread of its own (a held handler blocks it,
     * and a test may hold more of them than a small common pool runs), and answers when it comes.
     */
    CompletableFuture<HttpAnswer> send(String request) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new HttpAnswer(exchange(request));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, task -> new Thread(task).start());
    }

    /**
     * Sends each request in turn and returns each answer as ISO-8859-1 text (one char per byte),
     * without its {@code Date} header, the only line that may differ between two runs.
     */
    List<String> answersWithoutDate(List<String> requests) throws IOException {
        List<String> answers = new ArrayList<>();
        for (String request : requests) {
            String answer = new String(exchange(request), StandardCharsets.ISO_8859_1);
            if (!answer.startsWith("HTTP/1.1 ")) {
                throw new AssertionError(request + " got " + answer);
            }
            answers.add(answer.replaceFirst("\r\nDate: [^\r]*", ""));
        }
        return answers;
    }

    /** A whole HTTP/1.1 GET of {@code target} with these header lines (each ending in CRLF), asking to close. */
    static String get(String target, String headers) {
        return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Connection: close\r\n\r\n";
    }

    @Override
    public void close() throws IOException {
        app.close();
    }
}
