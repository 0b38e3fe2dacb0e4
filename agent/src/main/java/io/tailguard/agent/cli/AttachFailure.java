package io.tailguard.agent.cli;

import java.lang.reflect.InvocationTargetException;

/** Why {@code attach} could not do its job, in words an operator can act on. */
final class AttachFailure extends Exception {

    private static final long serialVersionUID = 1L;

    /** HotSpot's answer when the target runs with {@code -XX:+DisableAttachMechanism}. */
    private static final String DISABLED = "does not support the attach mechanism";

    AttachFailure(String message) {
        super(message);
    }

    /** From the JDK's {@code AttachNotSupportedException}. */
    static AttachFailure notSupported(String pid, String jvmMessage) {
        String said = jvmMessage == null ? "" : jvmMessage;
        if (said.contains(DISABLED)) {
            return new AttachFailure("process " + pid + " does not accept attach: it was started with "
                    + "-XX:+DisableAttachMechanism. Add Tailguard at its next start with -javaagent instead.");
        }
        return new AttachFailure("process " + pid + " did not answer the attach request. It may not be a Java "
                + "process, be still starting or stuck, or run as another user or in another container (attach "
                + "from inside that container, as the same user). The JVM said: " + said);
    }

    /**
     * From a failure of byte-buddy-agent's attach. It wraps the JDK's exceptions, reflectively
     * thrown, in an {@code IllegalStateException}; they are matched by name because their
     * classes may not exist in this runtime.
     */
    static AttachFailure fromLoad(String pid, Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof InvocationTargetException) {
                continue;
            }
            String name = cause.getClass().getName();
            String message = cause.getMessage() == null ? "" : cause.getMessage();
            switch (name) {
                case "com.sun.tools.attach.AttachNotSupportedException":
                    return notSupported(pid, message);
                case "com.sun.tools.attach.AgentLoadException":
                    return new AttachFailure("process " + pid + " could not load the agent jar: " + message);
                case "com.sun.tools.attach.AgentInitializationException":
                    return new AttachFailure("the agent did not start in process " + pid + " (" + message
                            + "); its reason is in that process's log (stderr), on lines starting with [tailguard]. "
                            + "A Java that refuses agents loaded into a running JVM needs -javaagent at start "
                            + "instead.");
                default:
                    break;
            }
            if (message.contains("No compatible attachment provider")) {
                return new AttachFailure(Cli.NO_ATTACH);
            }
            if (cause instanceof java.io.IOException) {
                return new AttachFailure("lost the connection to process " + pid + " while loading the agent: "
                        + cause + ". Its log (stderr) may say more.");
            }
        }
        return new AttachFailure("could not attach to process " + pid + ": " + failure);
    }
}
