package io.tailguard.agent;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Names the copies of the agent a JVM was given, for the one line a second copy writes when it
 * steps aside. The JVM does not tell premain which {@code -javaagent} flag it came from, and a
 * second copy runs the first copy's classes (both jars are on the system class path, and the first
 * one wins), so the flags are read back from the JVM's arguments, which start with those of
 * {@code JAVA_TOOL_OPTIONS}. This runs only when the agent was given twice.
 */
final class AgentCopies {

    private static final String JAVAAGENT = "-javaagent:";
    private static final String TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";
    /** The jar's Premain-Class, compiled apart from this class (for Java 8), so named here. */
    private static final String ENTRY_CLASS = "io.tailguard.agent.TailguardAgent";
    private static int premainCalls;

    private AgentCopies() {
    }

    /** {@code -javaagent:<this jar>[=<arguments>]}, cheaply: it is recorded on every start. */
    static synchronized String describeThisCopy(String arguments) {
        premainCalls++;
        return JAVAAGENT + agentJar() + argumentSuffix(arguments);
    }

    /** The line a copy that steps aside writes. */
    static synchronized String alreadyRunning(String installed, String arguments) {
        premainCalls++;
        List<String[]> flags = tailguardFlags();
        String first = installed;
        for (String[] flag : flags) {
            if (sameCopy(flag[0], installed)) {
                first = flag[0] + " " + flag[1];
                break;
            }
        }
        String second = null;
        int index = premainCalls - 1;
        if (index >= 1 && index < flags.size() && sameArguments(flags.get(index)[0], arguments)) {
            second = flags.get(index)[0] + " " + flags.get(index)[1];
        }
        if (second == null) {
            second = JAVAAGENT + "..." + argumentSuffix(arguments);
        }
        return "Tailguard is already running in this JVM (" + first + "); this copy (" + second
                + ") steps aside and changes nothing. Give the agent once: remove one of the flags.";
    }

    /** Every {@code -javaagent} flag of a Tailguard jar, in the order the JVM loads them, with where it came from. */
    private static List<String[]> tailguardFlags() {
        List<String> toolOptions = new ArrayList<>();
        String fromEnvironment = System.getenv(TOOL_OPTIONS);
        if (fromEnvironment != null) {
            toolOptions.addAll(Arrays.asList(fromEnvironment.trim().split("\\s+")));
        }
        List<String> jvmArguments;
        try {
            jvmArguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
        } catch (Throwable noManagement) {
            // An image built without java.management: the environment is all there is to go by.
            jvmArguments = toolOptions;
        }
        List<String[]> flags = new ArrayList<>();
        for (int i = 0; i < jvmArguments.size(); i++) {
            String argument = jvmArguments.get(i);
            if (!argument.startsWith(JAVAAGENT) || !isTailguard(jar(argument))) {
                continue;
            }
            boolean fromToolOptions = i < toolOptions.size() && toolOptions.get(i).equals(argument);
            flags.add(new String[] {argument, fromToolOptions ? "in " + TOOL_OPTIONS : "on the command line"});
        }
        return flags;
    }

    private static boolean isTailguard(String jar) {
        try (JarFile file = new JarFile(jar)) {
            Manifest manifest = file.getManifest();
            return manifest != null && ENTRY_CLASS.equals(manifest.getMainAttributes().getValue(new Attributes.Name("Premain-Class")));
        } catch (Exception unreadable) {
            return false;
        }
    }

    private static boolean sameCopy(String flag, String installed) {
        return installed.equals(JAVAAGENT + absolute(jar(flag)) + argumentSuffix(arguments(flag)));
    }

    private static boolean sameArguments(String flag, String arguments) {
        return argumentSuffix(arguments(flag)).equals(argumentSuffix(arguments));
    }

    private static String jar(String flag) {
        String rest = flag.substring(JAVAAGENT.length());
        int equals = rest.indexOf('=');
        return equals < 0 ? rest : rest.substring(0, equals);
    }

    private static String arguments(String flag) {
        String rest = flag.substring(JAVAAGENT.length());
        int equals = rest.indexOf('=');
        return equals < 0 ? null : rest.substring(equals + 1);
    }

    private static String argumentSuffix(String arguments) {
        return arguments == null || arguments.isEmpty() ? "" : "=" + arguments;
    }

    private static String agentJar() {
        try {
            return new File(AgentCopies.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        } catch (Exception unknown) {
            return "tailguard-agent.jar";
        }
    }

    private static String absolute(String path) {
        Path p = Paths.get(path);
        return p.toAbsolutePath().normalize().toString();
    }
}
