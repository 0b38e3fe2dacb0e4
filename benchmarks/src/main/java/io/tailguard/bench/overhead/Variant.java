package io.tailguard.bench.overhead;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a benchmark JVM is started: without the agent, or with it and one of three configurations.
 * Every benchmark server listens on 127.0.0.1, so the host pattern decides whether the agent
 * handles the calls.
 */
public enum Variant {

    /** No {@code -javaagent}: the baseline every ratio divides by. */
    NO_AGENT("no agent", null),

    /** The agent with a policy for another host: every call passes through (case a). */
    UNMATCHED("unmatched host", String.join("\n",
            "# A policy for some other host: calls to 127.0.0.1 are passed through untouched.",
            "tailguard.policy.other.hosts=api.example.com",
            "tailguard.policy.other.tagging=true",
            "")),

    /** Retries (the defaults) and tagging for the benchmark host; nothing fails (case b). */
    ACTIVE("retry + tagging", String.join("\n",
            "# Retries with their defaults, and tagging, for the benchmark host. Nothing fails, so no",
            "# retry is ever sent: this is the cost of handling a call that needs no help.",
            "tailguard.policy.bench.hosts=127.0.0.1",
            "tailguard.policy.bench.tagging=true",
            "")),

    /** As {@link #ACTIVE}, plus a hedge that is armed for every call and never fires (case c). */
    HEDGING("+ hedging, never firing", String.join("\n",
            "# As the retry + tagging case, plus hedging after a fixed 1 s: the hedge timer is armed for",
            "# every call and cancelled when the response arrives, microseconds later.",
            "tailguard.policy.bench.hosts=127.0.0.1",
            "tailguard.policy.bench.tagging=true",
            "tailguard.policy.bench.hedge.delay=1s",
            ""));

    private final String label;
    private final String config;

    Variant(String label, String config) {
        this.label = label;
        this.config = config;
    }

    public String label() {
        return label;
    }

    /** The agent's properties file, or {@code null} for {@link #NO_AGENT}. */
    public String config() {
        return config;
    }

    public boolean agent() {
        return config != null;
    }

    /** JVM options for this variant; writes its configuration file into {@code dir}. */
    public List<String> jvmOptions(Path agentJar, Path dir) throws IOException {
        List<String> options = new ArrayList<>();
        options.add("-Dbench.variant=" + name());
        if (config != null) {
            Path file = dir.resolve("tailguard-" + name().toLowerCase(java.util.Locale.ROOT) + ".properties");
            Files.createDirectories(dir);
            Files.writeString(file, config);
            options.add("-javaagent:" + agentJar.toAbsolutePath() + "=" + file.toAbsolutePath());
        }
        return options;
    }
}
