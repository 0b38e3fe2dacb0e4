package io.tailguard.agent.config;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Where settings come from, later winning: built-in defaults &lt; the properties file &lt;
 * {@code TAILGUARD_*} environment variables &lt; {@code -Dtailguard.*} system properties. The file
 * is named by the agent argument, else {@code -Dtailguard.config}, else {@code TAILGUARD_CONFIG};
 * no file at all is valid.
 *
 * <p>The file and {@code -D} keys are the operator's own words for Tailguard: a typo there is an error.
 * The environment is shared with everything else in the container (a chart's {@code TAILGUARD_VERSION},
 * a platform's {@code TAILGUARD_URL}), so a {@code TAILGUARD_*} variable that names no setting is a
 * warning and is ignored; a known variable with a bad value is still an error.
 */
public final class ConfigSources {

    public static final String FILE_PROPERTY = "tailguard.config";
    public static final String FILE_ENV = "TAILGUARD_CONFIG";
    private static final String ENV_PREFIX = "TAILGUARD_";
    static final long MAX_FILE_BYTES = 1 << 20;

    private static final Comparator<String> LONGEST_FIRST = new Comparator<String>() {
        @Override
        public int compare(String a, String b) {
            return Integer.compare(b.length(), a.length());
        }
    };

    private final Path file;
    private final String fileOrigin;
    private final Map<String, String> env;
    private final Properties system;
    private final List<String> environmentWarnings = new ArrayList<>();
    private volatile ConfigParser.Settings lastRead = new ConfigParser.Settings();
    private volatile byte[] lastFileContent;

    public ConfigSources(String agentArgs, Map<String, String> env, Properties system) {
        this.env = env;
        this.system = system;
        String path = null;
        String origin = null;
        if (agentArgs != null && !agentArgs.isBlank()) {
            path = agentArgs.trim();
            origin = "the agent argument";
        } else if (system.getProperty(FILE_PROPERTY) != null && !system.getProperty(FILE_PROPERTY).isBlank()) {
            path = system.getProperty(FILE_PROPERTY).trim();
            origin = "-D" + FILE_PROPERTY;
        } else if (env.get(FILE_ENV) != null && !env.get(FILE_ENV).isBlank()) {
            path = env.get(FILE_ENV).trim();
            origin = FILE_ENV;
        }
        this.file = path == null ? null : Paths.get(path);
        this.fileOrigin = origin;
        List<String> names = new ArrayList<>(env.keySet());
        java.util.Collections.sort(names);
        for (String name : names) {
            if (name.startsWith(ENV_PREFIX) && !name.equals(FILE_ENV) && !isSetting(name)) {
                String suggestion = ConfigParser.suggest(keyForEnvironment(name, List.of()));
                environmentWarnings.add("environment variable " + name + " is not a Tailguard setting and is ignored"
                        + (suggestion == null ? "" : "; did you mean " + environmentName(suggestion) + "?"));
            }
        }
    }

    /** One line for each {@code TAILGUARD_*} environment variable that names no setting (it is ignored). */
    public List<String> environmentWarnings() {
        return java.util.Collections.unmodifiableList(environmentWarnings);
    }

    /** The configuration file, or {@code null} when none is configured. */
    public Path file() {
        return file;
    }

    /**
     * The configuration file's bytes as the last {@link #load} read them, or {@code null} when it
     * read none: what a watcher compares the file with, so that a change made after that read is
     * never taken for the configuration in force.
     */
    public byte[] lastFileContent() {
        return lastFileContent;
    }

    /** Reads every source and validates the result. */
    public TailguardConfig load() throws InvalidConfigException {
        ConfigParser.Settings settings = new ConfigParser.Settings();
        lastRead = settings;
        List<ConfigProblem> problems = new ArrayList<>();
        if (file != null) {
            readFile(settings, problems);
        }
        readEnvironment(settings);
        for (String name : new TreeMap<>(system).keySet().toArray(new String[0])) {
            String key = String.valueOf(name);
            if (key.startsWith(ConfigParser.PREFIX) && !key.equals(FILE_PROPERTY)) {
                settings.put(key, system.getProperty(key), "-D" + key);
            }
        }
        String description = file == null ? "defaults, environment and system properties" : file.toString();
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(description, problems);
        }
        return ConfigParser.parse(settings.asMap(), description);
    }

    /**
     * Whether the last {@link #load} saw {@code key} set to {@code value} (ignoring case), even
     * if the configuration as a whole was invalid: {@code tailguard.enabled=false} and
     * {@code tailguard.strict=true} must work when something else is wrong.
     */
    public boolean requested(String key, String value) {
        Setting setting = lastRead.asMap().get(key);
        return setting != null && setting.value.trim().equalsIgnoreCase(value);
    }

    private void readFile(ConfigParser.Settings settings, List<ConfigProblem> problems) {
        String key = FILE_PROPERTY;
        lastFileContent = null;
        try {
            // java.io rather than java.nio.file.Files: this runs in premain, and Files would load
            // some thirty NIO channel classes that are not in the JDK's class data sharing archive.
            File path = file.toFile();
            if (!path.isFile()) {
                problems.add(new ConfigProblem(key, "file '" + file + "' (from " + fileOrigin
                        + ") does not exist or is not a regular file; expected the path of a properties file"));
                return;
            }
            long size = path.length();
            if (size > MAX_FILE_BYTES) {
                problems.add(new ConfigProblem(key, "file '" + file + "' is " + size
                        + " bytes; expected a properties file of at most " + MAX_FILE_BYTES + " bytes"));
                return;
            }
            byte[] content;
            try (InputStream in = new FileInputStream(path)) {
                content = in.readAllBytes();
            }
            lastFileContent = content;
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content))
                    .toString();
            Properties properties = new Properties();
            try (Reader reader = new StringReader(text)) {
                properties.load(reader);
            }
            for (String name : new TreeMap<>(properties).keySet().toArray(new String[0])) {
                settings.put(name.trim(), properties.getProperty(name), file.getFileName().toString());
            }
        } catch (CharacterCodingException e) {
            problems.add(new ConfigProblem(key, "file '" + file + "' is not valid UTF-8 text; expected a "
                    + "properties file"));
        } catch (IOException | IllegalArgumentException e) {
            problems.add(new ConfigProblem(key, "file '" + file + "' cannot be read as a properties file ("
                    + e.getMessage() + ")"));
        }
    }

    private void readEnvironment(ConfigParser.Settings settings) {
        List<String> names = new ArrayList<>(env.keySet());
        java.util.Collections.sort(names);
        List<String> policyNames = new ArrayList<>();
        for (String key : settings.asMap().keySet()) {
            if (key.startsWith(ConfigParser.POLICY_PREFIX)) {
                String rest = key.substring(ConfigParser.POLICY_PREFIX.length());
                int dot = rest.indexOf('.');
                if (dot > 0) {
                    policyNames.add(rest.substring(0, dot));
                }
            }
        }
        for (String name : names) {
            if (name.startsWith(ENV_PREFIX) && !name.equals(FILE_ENV) && isSetting(name)) {
                settings.put(keyForEnvironment(name, policyNames), env.get(name), "environment variable " + name);
            }
        }
    }

    /**
     * Maps {@code TAILGUARD_POLICY_SEARCH_RETRY_MAX_ATTEMPTS} to
     * {@code tailguard.policy.search.retry.max-attempts}. A policy name matches a policy of the file
     * ignoring case and treating '-' and '_' alike; an unknown variable maps to a dotted key so
     * that validation reports it with a suggestion.
     */
    static String keyForEnvironment(String name, List<String> policyNames) {
        for (String key : ConfigParser.GLOBAL_KEYS) {
            if (environmentName(key).equals(name)) {
                return key;
            }
        }
        for (String instrumentation : ConfigParser.INSTRUMENTATIONS) {
            String key = ConfigParser.INSTRUMENTATION_PREFIX + instrumentation + ".enabled";
            if (environmentName(key).equals(name)) {
                return key;
            }
        }
        String policyPrefix = "TAILGUARD_POLICY_";
        if (name.startsWith(policyPrefix)) {
            String rest = name.substring(policyPrefix.length());
            List<String> subKeys = new ArrayList<>(ConfigParser.POLICY_KEYS);
            subKeys.sort(LONGEST_FIRST);
            for (String sub : subKeys) {
                String suffix = "_" + environmentName(sub);
                if (rest.endsWith(suffix) && rest.length() > suffix.length()) {
                    String policy = rest.substring(0, rest.length() - suffix.length());
                    String resolved = policy.toLowerCase(Locale.ROOT);
                    for (String known : policyNames) {
                        if (known.replace('-', '_').equalsIgnoreCase(policy)) {
                            resolved = known;
                        }
                    }
                    return ConfigParser.POLICY_PREFIX + resolved + "." + sub;
                }
            }
        }
        return name.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** Whether an environment variable names a setting (its value may still be invalid). */
    static boolean isSetting(String name) {
        String key = keyForEnvironment(name, List.of());
        if (ConfigParser.GLOBAL_KEYS.contains(key)) {
            return true;
        }
        for (String instrumentation : ConfigParser.INSTRUMENTATIONS) {
            if (key.equals(ConfigParser.INSTRUMENTATION_PREFIX + instrumentation + ".enabled")) {
                return true;
            }
        }
        if (key.startsWith(ConfigParser.POLICY_PREFIX)) {
            String rest = key.substring(ConfigParser.POLICY_PREFIX.length());
            int dot = rest.indexOf('.');
            return dot > 0 && ConfigParser.POLICY_KEYS.contains(rest.substring(dot + 1));
        }
        return false;
    }

    static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
