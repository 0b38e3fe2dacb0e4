package io.tailguard.agent.config;

/** Builds configurations from property lines for tests. */
public final class TestConfigs {

    private TestConfigs() {
    }

    public static TailguardConfig parse(String... lines) throws InvalidConfigException {
        ConfigParser.Settings settings = new ConfigParser.Settings();
        for (String line : lines) {
            int eq = line.indexOf('=');
            settings.put(line.substring(0, eq).trim(), line.substring(eq + 1), "test");
        }
        return ConfigParser.parse(settings.asMap(), "test");
    }

    /** The single policy of a valid configuration. */
    public static PolicyConfig policy(String... lines) {
        try {
            return parse(lines).policies().get(0);
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
