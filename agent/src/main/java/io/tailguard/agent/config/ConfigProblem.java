package io.tailguard.agent.config;

/** One thing wrong with a configuration: which key, what value, what was expected instead. */
public final class ConfigProblem {

    private final String key;
    private final String message;

    ConfigProblem(String key, String message) {
        this.key = key;
        this.message = message;
    }

    public String key() {
        return key;
    }

    public String message() {
        return message;
    }

    @Override
    public String toString() {
        return key + ": " + message;
    }
}
