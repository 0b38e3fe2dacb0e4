package io.tailguard.agent.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.Arrays;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * {@code java -jar tailguard-agent.jar COMMAND}: what an operator does with the agent besides
 * adding {@code -javaagent} to a start script. It runs in its own short-lived JVM; none of it is
 * loaded inside an application. It loads only the JDK, the configuration classes and, for
 * {@code attach}, the relocated byte-buddy-agent.
 *
 * <p>Exit status: 0 done; 1 the command could not do its job (e.g. attach failed); 2 a usage
 * error or an invalid configuration file.
 */
public final class Cli {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private Cli() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            usage(err);
            return USAGE;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "attach":
                return new AttachCommand(out, err).run(rest);
            case "check":
                return CheckCommand.run(rest, out, err);
            case "list":
                return ListCommand.run(rest, out, err);
            case "version":
            case "--version":
                out.println("Tailguard " + version());
                return OK;
            case "help":
            case "--help":
            case "-h":
                usage(out);
                return OK;
            default:
                err.println("tailguard: unknown command '" + args[0] + "'");
                usage(err);
                return USAGE;
        }
    }

    static void usage(PrintStream to) {
        to.println("Tailguard " + version() + ": hedging, selective retries, a retry budget and request tagging for the");
        to.println("JDK HttpClient, OkHttp and Apache HttpClient, as a Java agent.");
        to.println();
        to.println("usage: java -jar tailguard-agent.jar COMMAND");
        to.println();
        to.println("  attach <pid> [config-file]  load Tailguard into the running JVM <pid> with this configuration;");
        to.println("                              where it already runs, replace its configuration");
        to.println("  attach <pid> --off          make every hook of a running Tailguard pass requests through");
        to.println("  check <config-file>         validate a configuration file as the agent would");
        to.println("                              (exit 0 when valid, 2 when not)");
        to.println("  list                        the JVMs on this host attach can reach, and which run Tailguard");
        to.println("  version                     this agent's version");
        to.println();
        to.println("At start-up instead: java -javaagent:tailguard-agent.jar=/path/to/tailguard.properties ...");
        to.println("Exit status: 0 done, 1 the command failed, 2 a usage error or an invalid configuration.");
    }

    /**
     * The agent's version, from the jar's manifest, with the commit it was built from where it was
     * built in a git checkout: {@code 0.1.0 (commit 1a2b3c4)}, {@code (commit 1a2b3c4, with
     * uncommitted changes)} when the tree had some.
     */
    static String version() {
        String version = Cli.class.getPackage().getImplementationVersion();
        if (version == null) {
            return "(version unknown: not run from the agent jar)";
        }
        Path jar = agentJar();
        if (jar == null) {
            return version;
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String commit = manifest == null ? null : manifest.getMainAttributes().getValue("Tailguard-Commit");
            if (commit == null || commit.isBlank() || commit.startsWith("${")) {
                return version;
            }
            boolean uncommitted = "true".equals(manifest.getMainAttributes().getValue("Tailguard-Uncommitted-Changes"));
            return version + " (commit " + commit + (uncommitted ? ", with uncommitted changes" : "") + ")";
        } catch (IOException | RuntimeException unreadable) {
            return version;
        }
    }

    /** The agent jar this command runs from, or {@code null} when it does not run from a jar. */
    static Path agentJar() {
        try {
            CodeSource source = Cli.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return null;
            }
            Path path = Paths.get(source.getLocation().toURI()).toAbsolutePath();
            return Files.isRegularFile(path) ? path : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Whether this Java runtime can attach to others: a JDK has the {@code jdk.attach} module, a
     * runtime image without it (a JRE, a jlink image) does not.
     */
    static boolean canAttach() {
        return ModuleLayer.boot().findModule("jdk.attach").isPresent();
    }

    static final String NO_ATTACH = "this Java runtime (" + System.getProperty("java.home") + ") has no attach "
            + "support: it lacks the jdk.attach module, as JREs and trimmed runtime images do. Run the command with "
            + "the java of a full JDK (11 or newer), for example the one the application runs on if that is a JDK.";
}
