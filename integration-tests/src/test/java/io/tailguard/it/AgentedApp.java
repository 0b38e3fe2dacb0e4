package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.it.app.AppMain;
import io.tailguard.it.app.Wire;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The application under test in its own JVM, started with {@code -javaagent} on the built agent
 * jar (or without it), on the JDK the suite is pointed at. Tests talk to it through
 * {@link #call}: the application makes the call with a real client and reports what it got.
 */
public final class AgentedApp implements AutoCloseable {

    private static final Path AGENT_JAR = Paths.get(required("tailguard.agent.jar"));

    private final Process process;
    private final Writer commands;
    private final Map<String, CompletableFuture<Map<String, String>>> pending = new ConcurrentHashMap<>();
    private final StringBuffer stderr = new StringBuffer();
    private final AtomicInteger ids = new AtomicInteger();
    private final CompletableFuture<String> ready = new CompletableFuture<>();

    private AgentedApp(List<String> command, Map<String, String> environment) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("TAILGUARD_"));
        builder.environment().putAll(environment);
        process = builder.start();
        commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread out = new Thread(this::readAnswers, "app-stdout");
        out.setDaemon(true);
        out.start();
        Thread err = new Thread(this::readErrors, "app-stderr");
        err.setDaemon(true);
        err.start();
        try {
            ready.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("the application did not start; stderr:\n" + stderr, e);
        }
    }

    /**
     * The client APIs an application started with {@link Builder#everyClient()} calls by name: the
     * JDK client's {@code send} and {@code sendAsync}, {@code HttpURLConnection}, OkHttp's
     * {@code execute} and {@code enqueue}, Apache 4.5, HttpAsyncClient 4.1, Apache 5 classic and
     * async. A parameterized test's {@code @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")}.
     */
    public static Stream<String> everyClientApi() {
        return Stream.of("jdk-send", "jdk-async", "urlconnection", "okhttp-execute", "okhttp-enqueue", "apache4",
                "apache4-async", "apache5", "apache5-async");
    }

    /**
     * Every client API ({@link #everyClientApi}) with each of {@code variants}, as the two arguments
     * of a parameterized test: each client API once per variant, the variants in the order given.
     */
    public static Stream<Arguments> everyClientApiWith(String... variants) {
        return everyClientApi().flatMap(client -> Stream.of(variants).map(variant -> Arguments.of(client, variant)));
    }

    public static Builder withConfig(String properties) {
        return new Builder().config(properties);
    }

    public static Builder withoutAgent() {
        return new Builder().agent(false);
    }

    /** The built agent jar. */
    public static Path agentJar() {
        return AGENT_JAR;
    }

    /** The application's process id, e.g. to attach to it. */
    public long pid() {
        return process.pid();
    }

    /** The directory of the application's classes (the test classes), as the build passes it. */
    public static Path applicationClassesDirectory() {
        return Paths.get(required("tailguard.it.classes"));
    }

    /** The JDK the application runs on: {@code -Dtailguard.it.java}, else the one running the tests. */
    public static String java() {
        String configured = System.getProperty("tailguard.it.java");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The jars of a client version copied by the build, for the application's class path. */
    public static String clientClasspath(String client) {
        return clientDirectory(client).resolve("*").toString();
    }

    /** The directory holding the jars of a client version copied by the build. */
    public static Path clientDirectory(String client) {
        return Paths.get(required("tailguard.it.clients"), client);
    }

    /** Makes one call in the application and returns what the application got. */
    public Map<String, String> call(Call call) {
        return send("call", call.asMap(), 120);
    }

    /** Starts one call in the application without waiting for what it got. */
    public CompletableFuture<Map<String, String>> callAsync(Call call) {
        return sendAsync("call", call.asMap());
    }

    /** Sends a command and waits for its answer. */
    public Map<String, String> send(String verb, Map<String, String> arguments, int timeoutSeconds) {
        CompletableFuture<Map<String, String>> answer = sendAsync(verb, arguments);
        try {
            Map<String, String> result = answer.get(timeoutSeconds, TimeUnit.SECONDS);
            if (result.containsKey("driverError")) {
                throw new IllegalStateException("the application's driver failed: " + result.get("driverError"));
            }
            return result;
        } catch (Exception e) {
            throw new IllegalStateException(verb + " " + arguments + " got no answer; application stderr:\n"
                    + stderr, e);
        }
    }

    /** Sends a command without waiting for its answer. */
    public CompletableFuture<Map<String, String>> sendAsync(String verb, Map<String, String> arguments) {
        String id = Integer.toString(ids.incrementAndGet());
        Map<String, String> message = new LinkedHashMap<>();
        message.put("id", id);
        message.put("verb", verb);
        message.putAll(arguments);
        CompletableFuture<Map<String, String>> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            synchronized (commands) {
                commands.write(Wire.encode(message) + "\n");
                commands.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the application is gone; stderr:\n" + stderr, e);
        }
        return answer;
    }

    /** Everything the application wrote to stderr so far (the agent's log goes there). */
    public String stderr() {
        return stderr.toString();
    }

    /**
     * Waits (polling) until the application's stderr has {@code count} lines matching
     * {@code regex}, and returns the matching lines.
     */
    public List<String> awaitStderrLines(String regex, int count, java.time.Duration timeout) throws InterruptedException {
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> lines = stderrLines(pattern);
            if (lines.size() >= count) {
                return lines;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("after " + timeout.toMillis() + " ms the application's stderr has "
                        + lines.size() + " of " + count + " lines matching " + regex + ":\n" + stderr);
            }
            Thread.sleep(20);
        }
    }

    /** The lines of stderr so far that contain a match of {@code pattern}. */
    public List<String> stderrLines(java.util.regex.Pattern pattern) {
        List<String> lines = new ArrayList<>();
        for (String line : stderr.toString().split("\n")) {
            if (pattern.matcher(line).find()) {
                lines.add(line);
            }
        }
        return lines;
    }

    /**
     * The warnings and errors the agent logged so far. The agent falls back to the plain call on
     * an internal failure, which a test of the result alone could mistake for success.
     */
    public List<String> agentProblems() {
        List<String> problems = new ArrayList<>();
        for (String line : stderr.toString().split("\n")) {
            if (line.startsWith("[tailguard] WARN") || line.startsWith("[tailguard] ERROR")) {
                problems.add(line);
            }
        }
        return problems;
    }

    /**
     * Stops the application, then fails if its agent had logged a warning or an error
     * ({@link #agentProblems}, read before it stops).
     */
    public void closeExpectingNoAgentProblem() throws IOException {
        List<String> problems = agentProblems();
        close();
        assertEquals(List.of(), problems, "the agent logged no warning or error");
    }

    public String javaVersion() {
        return ready.join();
    }

    /** Asks the application to exit and reports whether its JVM ended within {@code seconds}. */
    public boolean exitsWithin(int seconds) throws InterruptedException {
        try {
            sendAsync("exit", Map.of());
        } catch (UncheckedIOException alreadyGone) {
            // already ended
        }
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
        try {
            sendAsync("exit", Map.of());
        } catch (UncheckedIOException alreadyGone) {
            // nothing to stop
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void readAnswers() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("READY")) {
                    ready.complete(line.substring(line.indexOf('=') + 1));
                    continue;
                }
                Map<String, String> answer = Wire.decode(line);
                CompletableFuture<Map<String, String>> waiting = pending.remove(answer.get("id"));
                if (waiting != null) {
                    waiting.complete(answer);
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
        ready.completeExceptionally(new IllegalStateException("application exited"));
    }

    private void readErrors() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                stderr.append(line).append('\n');
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("-D" + property + " is not set; run the tests through Maven");
        }
        return value;
    }

    /** How to start the application. */
    public static final class Builder {
        private String config;
        private boolean agent = true;
        private String agentArgument;
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<String> optionsBeforeAgent = new ArrayList<>();
        private final List<String> classpath = new ArrayList<>();
        private final List<String> launcher = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final List<String> main = new ArrayList<>(List.of(AppMain.class.getName()));
        /** What holds the application's classes: the test classes' directory, unless a jar of them is given. */
        private String applicationClasses;

        /** A command the JVM is started through, e.g. one that runs it as another user. */
        public Builder launcher(String... command) {
            launcher.addAll(List.of(command));
            return this;
        }

        public Builder config(String properties) {
            this.config = properties;
            return this;
        }

        public Builder agent(boolean agent) {
            this.agent = agent;
            return this;
        }

        /** Passes the file as the agent argument instead of writing {@link #config} to one. */
        public Builder agentArgument(String argument) {
            this.agentArgument = argument;
            return this;
        }

        public Builder jvmOption(String option) {
            jvmOptions.add(option);
            return this;
        }

        /** The JVM trusts {@code tls}'s certificate, for HTTPS to a server that uses it. */
        public Builder trusting(SelfSignedTls tls) {
            jvmOptions.addAll(tls.trustingJvmOptions());
            return this;
        }

        /** An option placed before Tailguard's {@code -javaagent}, e.g. another agent that must load first. */
        public Builder jvmOptionBeforeAgent(String option) {
            optionsBeforeAgent.add(option);
            return this;
        }

        /**
         * The application's classes from this jar instead of the test classes' directory (a JDK AOT
         * cache takes no directory with files in it on the class path).
         */
        public Builder applicationJar(Path jar) {
            applicationClasses = jar.toString();
            return this;
        }

        public Builder classpath(String entry) {
            classpath.add(entry);
            return this;
        }

        /**
         * The jars of every client API the drivers use besides the JDK's: Apache HttpClient 4.5,
         * HttpAsyncClient 4.1, HttpClient 5 and OkHttp 4.12.
         */
        public Builder everyClient() {
            return classpath(clientClasspath("apache-4.5")).classpath(clientClasspath("apache-async-4.1"))
                    .classpath(clientClasspath("apache-5")).classpath(clientClasspath("okhttp-4.12"));
        }

        /** Another program that speaks {@link AppMain}'s protocol, e.g. a server application. */
        public Builder main(String className, String... arguments) {
            main.clear();
            main.add(className);
            main.addAll(List.of(arguments));
            return this;
        }

        public Builder environment(String name, String value) {
            environment.put(name, value);
            return this;
        }

        public AgentedApp start() {
            try {
                List<String> command = new ArrayList<>(launcher);
                command.add(java());
                command.addAll(optionsBeforeAgent);
                if (agent) {
                    String argument = agentArgument;
                    if (argument == null && config != null) {
                        Path file = Files.createTempFile("tailguard-it-", ".properties");
                        file.toFile().deleteOnExit();
                        Files.writeString(file, config);
                        argument = file.toString();
                    }
                    command.add("-javaagent:" + AGENT_JAR + (argument == null ? "" : "=" + argument));
                }
                if (jvmOptions.stream().noneMatch(option -> option.startsWith("-XX:AOTCache"))) {
                    command.add("-Xshare:auto");
                } else {
                    // JDK 25 refuses -Xshare beside its AOT cache options, which take the archive's
                    // place; and its warnings about the cache go to stdout, this protocol's channel.
                    command.add("-Xlog:disable");
                    command.add("-Xlog:all=warning:stderr");
                }
                command.addAll(jvmOptions);
                List<String> cp = new ArrayList<>();
                cp.add(applicationClasses != null ? applicationClasses : required("tailguard.it.classes"));
                cp.addAll(classpath);
                command.add("-cp");
                command.add(String.join(java.io.File.pathSeparator, cp));
                command.addAll(main);
                return new AgentedApp(command, environment);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
