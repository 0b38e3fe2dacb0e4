package io.tailguard.agent.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random configurations, keys, values, bytes and sizes: the only thing that may come out of the
 * configuration code is a valid configuration or an {@link InvalidConfigException} with a message.
 */
class ConfigFuzzTest {

    private static final String[] VALUES = {"", " ", "0", "-1", "1", "3", "99999999999999999999", "0.2", "1.5", "NaN",
        "true", "false", "TRUE", "yes", "5s", "5 sec", "250ms", "1.5s", "2m", "1h", "p95", "p99.9", "p100", "p", "50ms",
        "GET,POST", ",,,", "connect,reset,503", "404", "*.example.com", "a:0", "[::1]:8080", "*", "*.", "\u0000",
        "\uFFFF", "\uD800", "x".repeat(10_000), "enforce", "shadow", "\\", "=", "#", "a b c"};

    @TempDir
    Path dir;

    @Test
    void randomSettingsNeverEscapeAsAnythingButAClearError() {
        Random random = new Random(20261126);
        List<String> keys = new ArrayList<>(ConfigParser.GLOBAL_KEYS);
        for (String key : ConfigParser.POLICY_KEYS) {
            keys.add("tailguard.policy.p" + random.nextInt(3) + "." + key);
        }
        keys.add("tailguard.policy..hosts");
        keys.add("tailguard.policy.");
        keys.add("tailguard.");
        keys.add("tailguard.instrumentation.jdk.enabled");
        keys.add("tailguard.instrumentation.nope.enabled");
        for (int round = 0; round < 5_000; round++) {
            ConfigParser.Settings settings = new ConfigParser.Settings();
            int n = random.nextInt(12);
            for (int i = 0; i < n; i++) {
                String key = random.nextInt(10) == 0 ? randomText(random, 30) : keys.get(random.nextInt(keys.size()));
                String value = random.nextInt(5) == 0 ? randomText(random, 20) : VALUES[random.nextInt(VALUES.length)];
                settings.put(key, value, "fuzz");
            }
            try {
                assertNotNull(ConfigParser.parse(settings.asMap(), "fuzz"));
            } catch (InvalidConfigException expected) {
                assertFalse(expected.problems().isEmpty());
                assertTrue(expected.getMessage().length() > 20);
            } catch (RuntimeException bug) {
                fail("round " + round + " " + settings.asMap().keySet() + ": " + bug, bug);
            }
        }
    }

    @Test
    void randomFilesNeverEscapeAsAnythingButAClearError() throws Exception {
        Random random = new Random(7);
        Path file = dir.resolve("fuzz.properties");
        for (int round = 0; round < 500; round++) {
            byte[] bytes = new byte[random.nextInt(round % 50 == 0 ? 2_000_000 : 4_000)];
            random.nextBytes(bytes);
            if (round % 3 == 0) {
                String text = "tailguard.policy.a.hosts=" + randomText(random, 10) + "\n" + new String(bytes,
                        java.nio.charset.StandardCharsets.ISO_8859_1);
                bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }
            Files.write(file, bytes);
            try {
                new ConfigSources(file.toString(), Map.of("TAILGUARD_" + randomText(random, 5), "x"), new Properties())
                        .load();
            } catch (InvalidConfigException expected) {
                assertTrue(expected.getMessage().length() > 20);
            } catch (RuntimeException bug) {
                fail("round " + round + ": " + bug, bug);
            }
        }
    }

    private static String randomText(Random random, int max) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(max + 1);
        for (int i = 0; i < length; i++) {
            text.append((char) (random.nextInt(4) == 0 ? random.nextInt(0x3000) : 32 + random.nextInt(95)));
        }
        return text.toString();
    }
}
