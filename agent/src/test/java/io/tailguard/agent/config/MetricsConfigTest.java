package io.tailguard.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MetricsConfigTest {

    private static TailguardConfig parse(String... lines) throws InvalidConfigException {
        ConfigParser.Settings settings = new ConfigParser.Settings();
        for (String line : lines) {
            int eq = line.indexOf('=');
            settings.put(line.substring(0, eq), line.substring(eq + 1), "test.properties");
        }
        return ConfigParser.parse(settings.asMap(), "test.properties");
    }

    @Test
    void endpointIsOffAndSummaryEveryMinuteByDefault() throws Exception {
        TailguardConfig config = parse();
        assertEquals(0, config.prometheusPort());
        assertEquals("127.0.0.1", config.prometheusAddress());
        assertEquals(Duration.ofSeconds(60), config.metricsLogInterval());
    }

    @Test
    void acceptsIpLiteralsAndHostNamesToListenOn() throws Exception {
        assertEquals("0.0.0.0", parse("tailguard.metrics.prometheus.address=0.0.0.0").prometheusAddress());
        assertEquals("::1", parse("tailguard.metrics.prometheus.address=[::1]").prometheusAddress());
        assertEquals("metrics.internal", parse("tailguard.metrics.prometheus.address=metrics.internal")
                .prometheusAddress());
    }

    @Test
    void rejectsAnAddressThatIsNoHost() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> parse("tailguard.metrics.prometheus.address=http://0.0.0.0:9090"));
        assertTrue(e.getMessage().contains("tailguard.metrics.prometheus.address: 'http://0.0.0.0:9090' (from "
                + "test.properties) is not valid; expected an IP address or host name"), e.getMessage());
    }

    @Test
    void rejectsASummaryIntervalTooShortToRead() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> parse("tailguard.metrics.log.interval=10ms"));
        assertTrue(e.getMessage().contains("expected 0 (off) or a duration of at least 1s"), e.getMessage());
    }

    @Test
    void zeroTurnsTheSummaryOff() throws Exception {
        assertEquals(Duration.ZERO, parse("tailguard.metrics.log.interval=0").metricsLogInterval());
    }

    @Test
    void otlpIsOffUntilAnEndpointIsSetAndPushesEveryMinuteByDefault() throws Exception {
        assertEquals(OtlpExport.OFF, parse().otlp());
        OtlpExport otlp = parse("tailguard.metrics.otlp.endpoint=http://otel-collector:4318/v1/metrics").otlp();
        assertTrue(otlp.enabled());
        assertEquals("http://otel-collector:4318/v1/metrics", otlp.endpoint());
        assertEquals(Duration.ofSeconds(60), otlp.interval());
        assertEquals(Duration.ofSeconds(5), parse("tailguard.metrics.otlp.endpoint=https://c/v1/metrics",
                "tailguard.metrics.otlp.interval=5s").otlp().interval());
    }

    @Test
    void rejectsAnOtlpEndpointThatIsNoHttpUrlAndAnIntervalUnderASecond() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> parse("tailguard.metrics.otlp.endpoint=otel-collector:4317",
                        "tailguard.metrics.otlp.interval=100ms"));
        assertTrue(e.getMessage().contains("tailguard.metrics.otlp.endpoint: 'otel-collector:4317' (from "
                + "test.properties) is not valid; expected the http(s) URL of an OTLP/HTTP metrics endpoint"),
                e.getMessage());
        assertTrue(e.getMessage().contains("tailguard.metrics.otlp.interval: '100ms' (from test.properties) is too "
                + "short; expected a duration of at least 1s"), e.getMessage());
    }
}
