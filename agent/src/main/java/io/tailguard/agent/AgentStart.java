package io.tailguard.agent;

import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.InvalidConfigException;
import io.tailguard.agent.config.TailguardConfig;
import java.lang.instrument.Instrumentation;

/**
 * premain and agentmain on a supported Java (reached from {@link TailguardAgent}). It reads the
 * configuration, and unless the agent is disabled, installs the hooks. It never throws: whatever
 * goes wrong, the application starts, without the agent if need be.
 *
 * <p>The agent installs once per JVM. A second copy (the same flag in {@code JAVA_TOOL_OPTIONS} and
 * on the command line, say) would add a second transformer, and two prologues in one method make
 * every attempt the agent sends re-enter the agent: it steps aside with one line instead. An attach
 * to a JVM where the agent runs is how an operator changes its configuration: its argument, a file
 * or {@code --off}, replaces the configuration in force.
 */
public final class AgentStart {

    /** Set for the life of the JVM by the copy that installed: whatever loads this class sees it. */
    static final String INSTALLED_PROPERTY = "io.tailguard.agent.installed";
    /** The agentmain argument that turns every hook pass-through. */
    static final String OFF = "--off";

    private AgentStart() {
    }

    public static void premain(String arguments, Instrumentation instrumentation) {
        long started = System.nanoTime();
        try {
            String installed = System.getProperty(INSTALLED_PROPERTY);
            if (installed != null) {
                Log.warn(AgentCopies.alreadyRunning(installed, arguments));
                return;
            }
            start(arguments, instrumentation);
            AgentStatus.premainTook(System.nanoTime() - started);
        } catch (Throwable failure) {
            couldNotStart(failure);
        }
    }

    public static void agentmain(String arguments, Instrumentation instrumentation) {
        try {
            String installed = System.getProperty(INSTALLED_PROPERTY);
            String argument = arguments == null ? "" : arguments.trim();
            if (installed != null) {
                AgentRuntime.replaceConfiguration(installed, argument);
            } else if (argument.equals(OFF)) {
                Log.info("attached with " + OFF + ", but Tailguard is not running in this JVM: nothing to turn off");
            } else {
                start(arguments, instrumentation);
            }
        } catch (Throwable failure) {
            couldNotStart(failure);
        }
    }

    private static void start(String arguments, Instrumentation instrumentation) throws Exception {
        ConfigSources sources = new ConfigSources(arguments, System.getenv(), System.getProperties());
        TailguardConfig config = null;
        InvalidConfigException invalid = null;
        try {
            config = sources.load();
        } catch (InvalidConfigException e) {
            invalid = e;
        }
        if (config != null) {
            Log.setLevel(config.logLevel());
        }
        for (String warning : sources.environmentWarnings()) {
            Log.warn(warning);
        }
        if (config != null) {
            if (!config.enabled()) {
                Log.debug("disabled by tailguard.enabled=false: nothing installed");
                return;
            }
        } else {
            if (sources.requested("tailguard.enabled", "false")) {
                return;
            }
            Log.error(invalid.getMessage() + "\nTailguard runs pass-through: requests are sent as without the "
                    + "agent until a valid configuration is loaded.");
            if (sources.requested("tailguard.strict", "true")) {
                Log.error("tailguard.strict=true: exiting because the configuration is invalid");
                System.exit(2);
            }
        }
        // Claimed atomically (the properties are a synchronized table), so that of two copies
        // starting at once exactly one installs.
        String description = AgentCopies.describeThisCopy(arguments);
        Object earlier = System.getProperties().putIfAbsent(INSTALLED_PROPERTY, description);
        if (earlier != null) {
            Log.warn(AgentCopies.alreadyRunning(String.valueOf(earlier), arguments));
            return;
        }
        AgentRuntime.start(instrumentation, sources, config);
    }

    private static void couldNotStart(Throwable failure) {
        try {
            Log.error("the agent could not start; the application runs without it", failure);
        } catch (Throwable ignored) {
            System.err.println("[tailguard] ERROR the agent could not start; the application runs without it: "
                    + failure);
        }
    }
}
