package io.tailguard.agent;

import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.InvalidConfigException;
import io.tailguard.agent.config.TailguardConfig;
import java.lang.instrument.Instrumentation;

/**
 * The agent's entry point ({@code -javaagent:tailguard-agent.jar[=/path/to/tailguard.properties]}).
 * It reads the configuration, and unless the agent is disabled, installs the hooks. It never
 * throws: whatever goes wrong, the application starts, without the agent if need be.
 */
public final class TailguardAgent {

    private TailguardAgent() {
    }

    public static void premain(String arguments, Instrumentation instrumentation) {
        start(arguments, instrumentation);
    }

    /** {@code java -jar tailguard-agent.jar ...}: the operator's command line. */
    public static void main(String[] args) {
        io.tailguard.agent.cli.Cli.main(args);
    }

    public static void agentmain(String arguments, Instrumentation instrumentation) {
        start(arguments, instrumentation);
    }

    private static void start(String arguments, Instrumentation instrumentation) {
        try {
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
            AgentRuntime.start(instrumentation, sources, config);
        } catch (Throwable failure) {
            try {
                Log.error("the agent could not start; the application runs without it", failure);
            } catch (Throwable ignored) {
                System.err.println("[tailguard] ERROR the agent could not start; the application runs without it: "
                        + failure);
            }
        }
    }
}
