package io.tailguard.agent;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The class the JVM loads first from the agent jar ({@code Premain-Class}, {@code Agent-Class} and
 * {@code Main-Class}). It is compiled for Java 8 and uses only Java 8 API, without lambdas or
 * {@code invokedynamic}, because a JVM that cannot load the premain class aborts: on a Java older than
 * the agent supports, this class writes one line and returns, and the application starts untouched.
 * On a supported Java it hands over, by name, to classes compiled for Java 11, which premain and
 * agentmain load through an {@link AgentClassLoader}.
 */
public final class TailguardAgent {

    /** The oldest Java the agent's own classes run on. */
    static final int MINIMUM_JAVA = 11;
    static final String START_CLASS = "io.tailguard.agent.AgentStart";
    static final String CLI_CLASS = "io.tailguard.agent.cli.Cli";

    /** The loader of the agent's classes, once premain or an attach has made it ({@link #agentClasses}). */
    private static ClassLoader agentClasses;

    private TailguardAgent() {
    }

    /**
     * One {@link AgentClassLoader} per JVM: an attach that changes the configuration must reach the
     * classes premain started.
     */
    private static synchronized ClassLoader agentClasses() {
        if (agentClasses == null) {
            agentClasses = AgentClassLoader.forJarOf(TailguardAgent.class);
        }
        return agentClasses;
    }

    public static void premain(String arguments, Instrumentation instrumentation) {
        start("premain", arguments, instrumentation);
    }

    public static void agentmain(String arguments, Instrumentation instrumentation) {
        start("agentmain", arguments, instrumentation);
    }

    /** {@code java -jar tailguard-agent.jar ...}: the command line. */
    public static void main(String[] arguments) throws Throwable {
        int java = javaVersion(System.getProperty("java.specification.version"));
        if (java < MINIMUM_JAVA) {
            System.err.println("[tailguard] Tailguard needs Java " + MINIMUM_JAVA + " or newer; this JVM is Java "
                    + java);
            System.exit(1);
            return;
        }
        Method main;
        try {
            main = Class.forName(CLI_CLASS, true, TailguardAgent.class.getClassLoader())
                    .getMethod("main", String[].class);
        } catch (ClassNotFoundException missing) {
            System.err.println("[tailguard] this agent jar has no command line (" + CLI_CLASS + " is missing)");
            System.exit(1);
            return;
        }
        try {
            main.invoke(null, (Object) arguments);
        } catch (InvocationTargetException failed) {
            throw failed.getCause();
        }
    }

    private static void start(String entry, String arguments, Instrumentation instrumentation) {
        try {
            int java = javaVersion(System.getProperty("java.specification.version"));
            if (java < MINIMUM_JAVA) {
                System.err.println("[tailguard] Tailguard needs Java " + MINIMUM_JAVA + " or newer; this JVM is Java "
                        + java + ": the application runs without the agent");
                return;
            }
            Class<?> start = Class.forName(START_CLASS, true, agentClasses());
            start.getMethod(entry, String.class, Instrumentation.class).invoke(null, arguments, instrumentation);
        } catch (Throwable failure) {
            // AgentStart never throws; this is a jar without it, or a JVM that cannot link it.
            Throwable cause = failure instanceof InvocationTargetException ? failure.getCause() : failure;
            System.err.println("[tailguard] ERROR the agent could not start; the application runs without it: "
                    + cause);
        }
    }

    /**
     * The feature release of {@code java.specification.version}: "1.8" is 8, "17" is 17. Anything
     * unreadable counts as new: a future version string must not switch the agent off.
     */
    static int javaVersion(String specification) {
        if (specification == null) {
            return Integer.MAX_VALUE;
        }
        String version = specification.startsWith("1.") ? specification.substring(2) : specification;
        int dot = version.indexOf('.');
        if (dot >= 0) {
            version = version.substring(0, dot);
        }
        try {
            return Integer.parseInt(version);
        } catch (NumberFormatException unreadable) {
            return Integer.MAX_VALUE;
        }
    }
}
