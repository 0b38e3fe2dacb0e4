package io.tailguard.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The host names and policy names checked in premain without a regular expression accept exactly
 * what the regular expressions they replace accept: fixed cases, and random strings over the
 * characters that matter.
 */
class HandWrittenSyntaxTest {

    private static final Pattern HOST_NAME =
            Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");
    private static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9_-]+");

    @Test
    void hostNamesAsTheRegularExpression() {
        for (String name : samples("az09_-.A:é*[] ")) {
            assertEquals(HOST_NAME.matcher(name).matches(), HostPattern.isHostName(name), "'" + name + "'");
        }
    }

    @Test
    void policyNamesAsTheRegularExpression() {
        for (String name : samples("aZ09_-.:é* ")) {
            assertEquals(POLICY_NAME.matcher(name).matches(), ConfigParser.isPolicyName(name), "'" + name + "'");
        }
    }

    private static List<String> samples(String alphabet) {
        List<String> samples = new ArrayList<>(List.of("", ".", "-", "_", "a", "a.", ".a", "a..b", "a-", "-a", "a-b",
                "a.-b", "a-.b", "api.example.com", "127.0.0.1", "my_host-1.internal", "x".repeat(300)));
        Random random = new Random(16);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = random.nextInt(8); n > 0; n--) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            samples.add(s.toString());
        }
        return samples;
    }
}
