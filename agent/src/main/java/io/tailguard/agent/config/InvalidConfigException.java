package io.tailguard.agent.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that cannot be used; the message lists every problem found, one per line. */
public final class InvalidConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<ConfigProblem> problems;

    InvalidConfigException(String source, List<ConfigProblem> problems) {
        super("configuration from " + source + " rejected (" + problems.size()
                + (problems.size() == 1 ? " problem" : " problems") + "):\n"
                + problems.stream().map(p -> "  - " + p).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() {
        return problems;
    }
}
