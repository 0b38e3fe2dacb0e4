package io.tailguard.agent.cli;

import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.InvalidConfigException;
import io.tailguard.agent.config.PolicyConfig;
import io.tailguard.agent.config.ServerConfig;
import io.tailguard.agent.config.TailguardConfig;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * {@code check <file>}: the file validated exactly as the agent validates it, for the CI of a
 * configuration repository. Only the file: the environment variables and system properties of
 * the JVM that runs the check are not the application's, so they are left out, and the output
 * says what the application adds at run time.
 */
final class CheckCommand {

    static final String FILE_ALONE = "Checked the file alone: at run time the application's TAILGUARD_* environment "
            + "variables and -Dtailguard.* system properties are merged over it, and validated then.";

    private CheckCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 1) {
            err.println("usage: java -jar tailguard-agent.jar check <config-file>");
            return Cli.USAGE;
        }
        ConfigSources sources = fileAlone(args[0]);
        try {
            TailguardConfig config = sources.load();
            out.println(args[0] + ": valid. " + describe(config));
            out.println(FILE_ALONE);
            return Cli.OK;
        } catch (InvalidConfigException invalid) {
            // The text the agent logs after "[tailguard] ERROR ", line for line.
            out.println(invalid.getMessage());
            if (sources.requested("tailguard.enabled", "false")) {
                out.println("The file sets tailguard.enabled=false: the agent would install nothing and log none of this.");
            } else {
                out.println("With this file the agent runs pass-through: requests are sent as without it.");
            }
            out.println(FILE_ALONE);
            return Cli.USAGE;
        }
    }

    /** The configuration sources of a JVM that sets nothing but the agent argument. */
    static ConfigSources fileAlone(String file) {
        return new ConfigSources(file, Map.of(), new Properties());
    }

    static String describe(TailguardConfig config) {
        if (!config.enabled()) {
            return "tailguard.enabled=false: the agent installs nothing.";
        }
        StringBuilder text = new StringBuilder();
        int n = config.policies().size();
        text.append(n).append(n == 1 ? " policy" : " policies");
        String separator = ": ";
        for (PolicyConfig policy : config.policies()) {
            text.append(separator).append(policy.name()).append(" (hosts ");
            for (int i = 0; i < policy.hosts().size(); i++) {
                text.append(i == 0 ? "" : ", ").append(policy.hosts().get(i));
            }
            text.append(')');
            separator = "; ";
        }
        if (n == 0) {
            text.append(": every request passes through");
        }
        text.append("; mode ").append(config.mode().name().toLowerCase(Locale.ROOT)).append('.');
        ServerConfig server = config.server();
        if (server.active()) {
            List<String> clauses = new ArrayList<>();
            if (!server.paths().isEmpty()) {
                clauses.add("attempts coalesced under " + server.paths().toString().replaceAll("[\\[\\]]", "")
                        + (server.replayTtl().isZero() ? "" : ", Idempotency-Key responses replayed for "
                                + server.replayTtl().toMillis() + " ms"));
            }
            if (server.maxConcurrency() > 0) {
                clauses.add("retries and hedges refused at " + server.maxConcurrency() + " requests in flight");
            }
            if (!server.retryQueueBound().isZero()) {
                clauses.add("retries and hedges refused after " + server.retryQueueBound().toMillis()
                        + " ms in the container's queue");
            }
            if (!server.originalMaxQueueTime().isZero()) {
                clauses.add("originals refused after " + server.originalMaxQueueTime().toMillis()
                        + " ms in the container's queue");
            }
            if (server.dropExpired()) {
                clauses.add("requests that waited in the queue past their caller's tagged wait answered without "
                        + "the handler");
            }
            text.append(" Server side: ").append(String.join("; ", clauses)).append('.');
        }
        return text.toString();
    }
}
