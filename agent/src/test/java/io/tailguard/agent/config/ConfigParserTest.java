package io.tailguard.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigParserTest {

    @TempDir
    Path dir;

    @Test
    void aPolicyNamingOnlyHostsGetsTheDocumentedDefaults() throws Exception {
        TailguardConfig config = TestConfigs.parse("tailguard.policy.api.hosts=api.example.com");
        PolicyConfig p = config.policies().get(0);
        assertEquals(3, p.maxAttempts());
        assertEquals(Duration.ofSeconds(10), p.retryTimeout());
        assertTrue(p.retryOnConnect() && p.retryOnReset() && p.retryOnTimeout());
        for (int status : new int[] {429, 502, 503, 504}) {
            assertTrue(p.retryOnStatus(status), "retries " + status);
        }
        for (int status : new int[] {400, 404, 408, 500, 501}) {
            assertFalse(p.retryOnStatus(status), "does not retry " + status);
        }
        assertEquals(Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"), p.retryMethods());
        assertTrue(p.retryIdempotencyKey());
        assertEquals(Duration.ofMillis(100), p.backoffInitial());
        assertEquals(Duration.ofSeconds(2), p.backoffMax());
        assertTrue(p.backoffAdaptive());
        assertNull(p.attemptTimeout());
        assertNull(p.hedge(), "hedging is off until hedge.delay is set");
        assertFalse(p.tagging());
        assertEquals(BudgetConfig.DEFAULT, config.budget());
        assertEquals(Mode.ENFORCE, config.mode());
        assertEquals(0, config.prometheusPort());
        assertEquals(Duration.ofSeconds(60), config.metricsLogInterval());
    }

    @Test
    void bufferLimitsDefaultToSmallValuesAndTakeSizesWithUnits() throws Exception {
        BufferLimits defaults = TestConfigs.parse("tailguard.policy.api.hosts=a").bufferLimits();
        assertEquals(64 * 1024, defaults.maxResponseBytes());
        assertEquals(16 * 1024 * 1024, defaults.maxTotalBytes());
        BufferLimits set = TestConfigs.parse("tailguard.buffer.max-response-bytes=1000",
                "tailguard.buffer.max-total-bytes=2MiB").bufferLimits();
        assertEquals(1000, set.maxResponseBytes());
        assertEquals(2 * 1024 * 1024, set.maxTotalBytes());
        assertEquals(8 * 1024, TestConfigs.parse("tailguard.buffer.max-response-bytes=8k").bufferLimits()
                .maxResponseBytes());
        assertEquals(0, TestConfigs.parse("tailguard.buffer.max-response-bytes=0").bufferLimits().maxResponseBytes());
    }

    @Test
    void aBadBufferLimitNamesTheKeyAndTheExpectedForm() {
        String bad = problems("tailguard.buffer.max-response-bytes=64 kilobytes");
        assertTrue(bad.contains("tailguard.buffer.max-response-bytes: '64 kilobytes'"), bad);
        assertTrue(bad.contains("e.g. 65536, 64k or 16MiB"), bad);
        assertTrue(problems("tailguard.buffer.max-total-bytes=-1").contains("tailguard.buffer.max-total-bytes"));
        assertTrue(problems("tailguard.buffer.max-response-bytes=2g").contains("from 0 to 1073741824"));
        String larger = problems("tailguard.buffer.max-response-bytes=2m", "tailguard.buffer.max-total-bytes=1m");
        assertTrue(larger.contains("is more than tailguard.buffer.max-total-bytes (1048576 bytes)"), larger);
    }

    @Test
    void hedgingDefaultsOnceADelayIsSet() throws Exception {
        HedgeConfig hedge = TestConfigs.policy("tailguard.policy.api.hosts=a", "tailguard.policy.api.hedge.delay=p95")
                .hedge();
        assertTrue(hedge.isAdaptive());
        assertEquals(95.0, hedge.percentile());
        assertEquals(2, hedge.maxAttempts());
        assertEquals(Set.of("GET", "HEAD", "OPTIONS"), hedge.methods());
        HedgeConfig fixed = TestConfigs.policy("tailguard.policy.api.hosts=a", "tailguard.policy.api.hedge.delay=50ms")
                .hedge();
        assertEquals(Duration.ofMillis(50), fixed.delay());
        assertEquals(99.9, TestConfigs.policy("tailguard.policy.api.hosts=a",
                "tailguard.policy.api.hedge.delay=p99.9").hedge().percentile());
    }

    @Test
    void aBadDurationNamesTheKeyTheValueAndTheExpectedForm() {
        String message = problems("tailguard.policy.api.hosts=a", "tailguard.policy.api.retry.timeout=5 sec");
        assertTrue(message.contains("tailguard.policy.api.retry.timeout: '5 sec'"), message);
        assertTrue(message.contains("ms, s or m"), message);
    }

    @Test
    void anUnknownKeyWithATypoSuggestsTheClosestKnownKey() {
        String message = problems("tailguard.policy.api.hosts=a", "tailguard.policy.api.retry.max-atempts=4");
        assertTrue(message.contains("tailguard.policy.api.retry.max-atempts: unknown key"), message);
        assertTrue(message.contains("did you mean tailguard.policy.api.retry.max-attempts?"), message);
        String global = problems("tailguard.budjet.ratio=0.1");
        assertTrue(global.contains("did you mean tailguard.budget.ratio?"), global);
    }

    @Test
    void twoPoliciesClaimingTheSamePatternClash() {
        String message = problems("tailguard.policy.a.hosts=api.example.com, *.internal",
                "tailguard.policy.b.hosts=*.INTERNAL");
        assertTrue(message.contains("pattern '*.internal' is also claimed by tailguard.policy.a.hosts"), message);
    }

    @Test
    void everyProblemIsReportedNotJustTheFirst() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(
                "tailguard.policy.api.hosts=a", "tailguard.policy.api.retry.timeout=soon",
                "tailguard.policy.api.retry.max-attempts=0", "tailguard.budget.ratio=1.5",
                "tailguard.mode=loud", "tailguard.policy.api.retry.on=connect,404,teapot"));
        assertEquals(6, e.problems().size(), e.getMessage());
    }

    @Test
    void rejectsValuesOutsideTheirForms() {
        assertTrue(problems("tailguard.policy.p.hosts=a", "tailguard.policy.p.hedge.delay=p20").contains("p50 to p99.9"));
        assertTrue(problems("tailguard.policy.p.hosts=a", "tailguard.policy.p.hedge.max-attempts=1")
                .contains("from 2 to 10"));
        assertTrue(problems("tailguard.policy.p.hosts=a", "tailguard.policy.p.hedge.methods=GET")
                .contains("has no effect: hedging is off"));
        assertTrue(problems("tailguard.policy.p.hosts=a:99999").contains("invalid port"));
        assertTrue(problems("tailguard.policy.p.hosts=a b").contains("not a host pattern"));
        assertTrue(problems("tailguard.policy.p.retry.max-attempts=2").contains("hosts: is required"));
        assertTrue(problems("tailguard.policy.p.hosts=a", "tailguard.policy.p.retry.backoff.initial=5s")
                .contains("must not be longer than"));
        assertTrue(problems("tailguard.policy.p.hosts=a", "tailguard.policy.p.tagging=yes").contains("true or false"));
        assertTrue(problems("tailguard.policy.b@d.hosts=a").contains("may only contain"));
        assertTrue(problems("tailguard.tagging.attempt-header=X Attempt").contains("HTTP header name"));
    }

    @Test
    void theMostSpecificHostPatternWins() throws Exception {
        TailguardConfig config = TestConfigs.parse(
                "tailguard.policy.exact.hosts=api.search.internal",
                "tailguard.policy.exactport.hosts=api.search.internal:8443",
                "tailguard.policy.deep.hosts=*.search.internal",
                "tailguard.policy.deepport.hosts=*.search.internal:9000",
                "tailguard.policy.wide.hosts=*.internal");
        assertEquals("exactport", config.policyFor("api.search.internal", 8443).name());
        assertEquals("exact", config.policyFor("API.search.internal", 80).name());
        assertEquals("deepport", config.policyFor("x.search.internal", 9000).name());
        assertEquals("deep", config.policyFor("x.search.internal", 80).name());
        assertEquals("deep", config.policyFor("a.b.search.internal", 80).name());
        assertEquals("wide", config.policyFor("db.internal", 80).name());
        assertNull(config.policyFor("internal", 80), "a glob does not match the domain itself");
        assertNull(config.policyFor("example.com", 443));
    }

    @Test
    void environmentVariablesMapToKeys() {
        assertEquals("tailguard.budget.min-per-second",
                ConfigSources.keyForEnvironment("TAILGUARD_BUDGET_MIN_PER_SECOND", List.of()));
        assertEquals("tailguard.policy.search.retry.max-attempts",
                ConfigSources.keyForEnvironment("TAILGUARD_POLICY_SEARCH_RETRY_MAX_ATTEMPTS", List.of()));
        assertEquals("tailguard.policy.my-api.hedge.delay",
                ConfigSources.keyForEnvironment("TAILGUARD_POLICY_MY_API_HEDGE_DELAY", List.of("my-api")));
        assertEquals("tailguard.instrumentation.apache5-async.enabled",
                ConfigSources.keyForEnvironment("TAILGUARD_INSTRUMENTATION_APACHE5_ASYNC_ENABLED", List.of()));
    }

    @Test
    void anEnvironmentVariableThatNamesNoSettingIsAWarningAndThePoliciesStayInForce() throws Exception {
        Path file = dir.resolve("tailguard.properties");
        Files.writeString(file, "tailguard.policy.api.hosts=a\ntailguard.policy.api.retry.max-attempts=2\n");
        Map<String, String> env = Map.of("TAILGUARD_VERSION", "1.2", "TAILGUARD_BUDGET_RATIO", "0.3",
                "TAILGUARD_POLICY_API_RETRY_MAX_ATEMPTS", "5", "TAILGUARD_CONFIG", file.toString(), "PATH", "/bin");
        ConfigSources sources = new ConfigSources(null, env, new Properties());

        TailguardConfig config = sources.load();

        assertEquals(2, config.policies().get(0).maxAttempts());
        assertEquals(0.3, config.budget().ratio(), "known variables still apply");
        assertEquals(List.of(
                "environment variable TAILGUARD_POLICY_API_RETRY_MAX_ATEMPTS is not a Tailguard setting and is "
                        + "ignored; did you mean TAILGUARD_POLICY_API_RETRY_MAX_ATTEMPTS?",
                "environment variable TAILGUARD_VERSION is not a Tailguard setting and is ignored"),
                sources.environmentWarnings());
    }

    @Test
    void aKnownEnvironmentVariableWithABadValueAndTyposInTheFileAndSystemPropertiesStayErrors() throws Exception {
        Path file = dir.resolve("tailguard.properties");
        Files.writeString(file, "tailguard.policy.api.hosts=a\ntailguard.policy.api.retry.max-atempts=2\n");
        Properties system = new Properties();
        system.setProperty("tailguard.budget.rato", "0.1");
        String message = assertThrows(InvalidConfigException.class, () -> new ConfigSources(file.toString(),
                Map.of("TAILGUARD_BUDGET_TTL", "soon"), system).load()).getMessage();
        assertTrue(message.contains("tailguard.policy.api.retry.max-atempts: unknown key"), message);
        assertTrue(message.contains("tailguard.budget.rato: unknown key (from -Dtailguard.budget.rato)"), message);
        assertTrue(message.contains("tailguard.budget.ttl: 'soon' (from environment variable TAILGUARD_BUDGET_TTL)"),
                message);
    }

    @Test
    void laterSourcesWinFileThenEnvironmentThenSystemProperties() throws Exception {
        Path file = dir.resolve("tailguard.properties");
        Files.writeString(file, "tailguard.policy.api.hosts=a\ntailguard.policy.api.retry.max-attempts=2\n"
                + "tailguard.policy.api.retry.timeout=3s\ntailguard.budget.ratio=0.1\n");
        Properties system = new Properties();
        system.setProperty("tailguard.policy.api.retry.timeout", "7s");
        system.setProperty("unrelated.key", "x");
        Map<String, String> env = Map.of("TAILGUARD_POLICY_API_RETRY_MAX_ATTEMPTS", "5",
                "TAILGUARD_POLICY_API_RETRY_TIMEOUT", "4s", "PATH", "/bin");
        TailguardConfig config = new ConfigSources(file.toString(), env, system).load();
        PolicyConfig p = config.policies().get(0);
        assertEquals(5, p.maxAttempts());
        assertEquals(Duration.ofSeconds(7), p.retryTimeout());
        assertEquals(0.1, config.budget().ratio());
    }

    @Test
    void theFileIsFoundFromTheAgentArgumentThenThePropertyThenTheEnvironment() throws Exception {
        Path a = dir.resolve("a.properties");
        Path b = dir.resolve("b.properties");
        Properties system = new Properties();
        system.setProperty("tailguard.config", b.toString());
        assertEquals(a, new ConfigSources(a.toString(), Map.of(), system).file());
        assertEquals(b, new ConfigSources(null, Map.of("TAILGUARD_CONFIG", "c"), system).file());
        assertEquals(Path.of("c"), new ConfigSources("", Map.of("TAILGUARD_CONFIG", "c"), new Properties()).file());
        assertNull(new ConfigSources(null, Map.of(), new Properties()).file());
        assertTrue(new ConfigSources(null, Map.of(), new Properties()).load().policies().isEmpty(),
                "no file at all is valid");
    }

    @Test
    void unreadableFilesAreClearErrors() throws Exception {
        Path missing = dir.resolve("missing.properties");
        String message = assertThrows(InvalidConfigException.class,
                () -> new ConfigSources(missing.toString(), Map.of(), new Properties()).load()).getMessage();
        assertTrue(message.contains("does not exist"), message);
        Path latin1 = dir.resolve("latin1.properties");
        Files.write(latin1, "tailguard.policy.caf\u00e9.hosts=a".getBytes(StandardCharsets.ISO_8859_1));
        message = assertThrows(InvalidConfigException.class,
                () -> new ConfigSources(latin1.toString(), Map.of(), new Properties()).load()).getMessage();
        assertTrue(message.contains("not valid UTF-8"), message);
        Path huge = dir.resolve("huge.properties");
        Files.write(huge, new byte[(int) ConfigSources.MAX_FILE_BYTES + 1]);
        message = assertThrows(InvalidConfigException.class,
                () -> new ConfigSources(huge.toString(), Map.of(), new Properties()).load()).getMessage();
        assertTrue(message.contains("at most"), message);
    }

    @Test
    void disablingAndStrictnessAreReadEvenFromAnInvalidConfiguration() throws Exception {
        Path file = dir.resolve("t.properties");
        Files.writeString(file, "tailguard.enabled=false\ntailguard.strict=true\ntailguard.nonsense=1\n");
        ConfigSources sources = new ConfigSources(file.toString(), Map.of(), new Properties());
        assertThrows(InvalidConfigException.class, sources::load);
        assertTrue(sources.requested("tailguard.enabled", "false"));
        assertTrue(sources.requested("tailguard.strict", "true"));
    }

    @Test
    void everyKeyIsDocumentedInTheReadme() throws Exception {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme);
        for (String key : ConfigParser.GLOBAL_KEYS) {
            assertTrue(text.contains(key), "README does not document " + key);
        }
        for (String key : ConfigParser.POLICY_KEYS) {
            assertTrue(text.contains("tailguard.policy.<name>." + key), "README does not document policy key " + key);
        }
        assertTrue(text.contains("tailguard.instrumentation.<name>.enabled"));
    }

    private static String problems(String... lines) {
        return assertThrows(InvalidConfigException.class, () -> TestConfigs.parse(lines)).getMessage();
    }
}
