package io.tailguard.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The agent jar's command line ({@code java -jar tailguard-agent.jar ...}) run as an operator runs
 * it: in a JVM of its own, on the JDK the applications run on.
 */
public final class AgentCli {

    private AgentCli() {
    }

    /** What one run of the command did. */
    public static final class Result {
        public final int exit;
        public final String out;
        public final String err;

        Result(int exit, String out, String err) {
            this.exit = exit;
            this.out = out;
            this.err = err;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public static Result run(String... args) {
        return run(List.of(), args);
    }

    /** Runs the command with {@code prefix} before {@code java} (e.g. to run it as another user). */
    public static Result run(List<String> prefix, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.add(AgentedApp.java());
        command.add("-jar");
        command.add(System.getProperty("tailguard.agent.jar"));
        command.addAll(Arrays.asList(args));
        return runCommand(command, List.of());
    }

    /** Runs {@code command} with the given JVM options before {@code -jar} and its environment cleared of TAILGUARD_*. */
    public static Result runWith(List<String> jvmOptions, List<String> environment, String... args) {
        List<String> command = new ArrayList<>();
        command.add(AgentedApp.java());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(System.getProperty("tailguard.agent.jar"));
        command.addAll(Arrays.asList(args));
        return runCommand(command, environment);
    }

    private static Result runCommand(List<String> command, List<String> environment) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().keySet().removeIf(name -> name.startsWith("TAILGUARD_"));
            for (String variable : environment) {
                int equals = variable.indexOf('=');
                builder.environment().put(variable.substring(0, equals), variable.substring(equals + 1));
            }
            Process process = builder.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the command did not end within 90 s: " + command);
            }
            return new Result(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(InputStream in) {
        try (InputStream stream = in) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            stream.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
