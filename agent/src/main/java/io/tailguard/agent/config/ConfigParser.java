package io.tailguard.agent.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;

/**
 * Turns raw settings into a {@link TailguardConfig}, strictly: an unknown key, a bad value or a
 * host pattern claimed by two policies is a problem that names the key, the value, the expected
 * form and, for a typo, the closest known key. All problems are collected, not just the first.
 */
public final class ConfigParser {

    public static final String PREFIX = "tailguard.";
    public static final String POLICY_PREFIX = "tailguard.policy.";
    public static final String INSTRUMENTATION_PREFIX = "tailguard.instrumentation.";

    /** Names that {@code tailguard.instrumentation.<name>.enabled} accepts. */
    public static final List<String> INSTRUMENTATIONS = List.of("jdk", "okhttp", "apache4", "apache4-async", "apache5",
            "apache5-async", "urlconnection", "servlet", "httpserver", "tomcat");

    /** Every global key, in documentation order. */
    public static final List<String> GLOBAL_KEYS = List.of(
            "tailguard.enabled", "tailguard.mode", "tailguard.strict", "tailguard.config",
            "tailguard.budget.ratio", "tailguard.budget.min-per-second", "tailguard.budget.ttl",
            "tailguard.buffer.max-response-bytes", "tailguard.buffer.max-total-bytes",
            "tailguard.metrics.prometheus.port", "tailguard.metrics.prometheus.address",
            "tailguard.metrics.otlp.endpoint", "tailguard.metrics.otlp.interval",
            "tailguard.metrics.log.interval", "tailguard.log.level", "tailguard.reload.interval",
            "tailguard.tagging.request-id-header", "tailguard.tagging.attempt-header",
            "tailguard.tagging.hedge-header", "tailguard.tagging.timeout-header",
            "tailguard.server.coalesce.paths", "tailguard.server.coalesce.max-response-bytes",
            "tailguard.server.coalesce.anonymous", "tailguard.server.coalesce.max-in-flight",
            "tailguard.server.replay.ttl", "tailguard.server.replay.max-entries", "tailguard.server.replay.max-bytes",
            "tailguard.server.shed.max-concurrency", "tailguard.server.shed.max-queue-time",
            "tailguard.server.shed.original-max-queue-time", "tailguard.server.shed.retry-after", "tailguard.server.drop-expired");

    /** Every key below {@code tailguard.policy.<name>.}, in documentation order. */
    public static final List<String> POLICY_KEYS = List.of(
            "hosts", "retry.max-attempts", "retry.timeout", "retry.on", "retry.methods",
            "retry.idempotency-key", "retry.backoff.initial", "retry.backoff.max", "retry.backoff.adaptive",
            "attempt-timeout", "hedge.delay", "hedge.max-attempts", "hedge.methods", "hedge.min-delay",
            "hedge.max-delay", "hedge.window", "hedge.min-samples", "tagging",
            "budget.ratio", "budget.min-per-second", "budget.ttl");

    private static final LazyPattern DURATION = new LazyPattern("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)");
    private static final LazyPattern BYTE_SIZE = new LazyPattern("(\\d{1,15})\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?");
    /** Default per-attempt limit: see the README's Configuration for why 64 KiB. */
    static final long DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
    static final long DEFAULT_MAX_TOTAL_BYTES = 16 * 1024 * 1024;
    /** A Java array holds at most about 2^31 bytes; a buffer for one response must fit in one. */
    private static final long MAX_RESPONSE_BYTES_LIMIT = 1L << 30;
    private static final long MAX_TOTAL_BYTES_LIMIT = 1L << 40;
    private static final LazyPattern PERCENTILE = new LazyPattern("p(\\d{1,2}(?:\\.\\d{1,2})?)");
    private static final LazyPattern METHOD = new LazyPattern("[A-Za-z]+");
    private static final LazyPattern HOST_NAME = new LazyPattern(
            "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final LazyPattern IPV6 = new LazyPattern("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Set<String> LOG_LEVELS = Set.of("off", "error", "warn", "info", "debug", "trace");

    private final Map<String, Setting> raw;
    private final Set<String> consumed = new HashSet<>();
    private final List<ConfigProblem> problems = new ArrayList<>();

    private ConfigParser(Map<String, Setting> raw) {
        this.raw = raw;
    }

    /** Parses settings that have already been merged from every source, later sources winning. */
    public static TailguardConfig parse(Map<String, Setting> settings, String source) throws InvalidConfigException {
        ConfigParser parser = new ConfigParser(settings);
        TailguardConfig config = parser.build(source);
        if (!parser.problems.isEmpty()) {
            throw new InvalidConfigException(source, parser.problems);
        }
        return config;
    }

    /** The configuration in force when there is no file and no setting at all. */
    public static TailguardConfig defaults() {
        try {
            return parse(Map.of(), "built-in defaults");
        } catch (InvalidConfigException e) {
            throw new IllegalStateException(e);
        }
    }

    private TailguardConfig build(String source) {
        boolean enabled = bool("tailguard.enabled", true);
        boolean strict = bool("tailguard.strict", false);
        Mode mode = oneOf("tailguard.mode", Mode.ENFORCE);
        consumed.add("tailguard.config");
        BudgetConfig budget = budget("tailguard.budget.", BudgetConfig.DEFAULT);
        long maxResponseBytes = byteSize("tailguard.buffer.max-response-bytes", DEFAULT_MAX_RESPONSE_BYTES,
                MAX_RESPONSE_BYTES_LIMIT);
        long maxTotalBytes = byteSize("tailguard.buffer.max-total-bytes", DEFAULT_MAX_TOTAL_BYTES,
                MAX_TOTAL_BYTES_LIMIT);
        if (maxResponseBytes > maxTotalBytes && problemsFor("tailguard.buffer.max-response-bytes") == 0
                && problemsFor("tailguard.buffer.max-total-bytes") == 0) {
            problem("tailguard.buffer.max-response-bytes", "is more than tailguard.buffer.max-total-bytes ("
                    + maxTotalBytes + " bytes), so no response could ever be held whole; expected at most that");
        }
        int port = integer("tailguard.metrics.prometheus.port", 0, 0, 65535);
        String address = address("tailguard.metrics.prometheus.address", "127.0.0.1");
        Duration logInterval = duration("tailguard.metrics.log.interval", Duration.ofSeconds(60), true);
        if (!logInterval.isZero() && logInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            problem("tailguard.metrics.log.interval", "is too short for a summary line; expected 0 (off) or a "
                    + "duration of at least 1s, e.g. 60s");
        }
        OtlpExport otlp = otlp();
        String logLevel = text("tailguard.log.level", "info").toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(logLevel)) {
            problem("tailguard.log.level", "expected one of " + new TreeSet<>(LOG_LEVELS));
        }
        Duration reload = duration("tailguard.reload.interval", Duration.ofSeconds(5), true);
        TailguardConfig.TaggingHeaders headers = new TailguardConfig.TaggingHeaders(
                headerName("tailguard.tagging.request-id-header", "X-Request-ID"),
                headerName("tailguard.tagging.attempt-header", "X-Attempt"),
                headerName("tailguard.tagging.hedge-header", "X-Is-Hedge"),
                headerName("tailguard.tagging.timeout-header", "X-Request-Timeout-Ms"));
        Set<String> disabled = new HashSet<>();
        for (String name : INSTRUMENTATIONS) {
            if (!bool(INSTRUMENTATION_PREFIX + name + ".enabled", true)) {
                disabled.add(name);
            }
        }
        ServerConfig server = server();
        List<PolicyConfig> policies = new ArrayList<>();
        for (String name : policyNames()) {
            policies.add(policy(name, budget));
        }
        checkPatternClashes(policies);
        reportUnknownKeys();
        return new TailguardConfig(source, enabled, strict, mode, budget, new BufferLimits(maxResponseBytes,
                maxTotalBytes), port, address, logInterval, logLevel, reload, headers, disabled, policies, otlp, server);
    }

    private ServerConfig server() {
        String p = "tailguard.server.";
        List<ServerConfig.PathPattern> paths = new ArrayList<>();
        Setting s = take(p + "coalesce.paths");
        if (s != null) {
            for (String item : s.value.split(",")) {
                if (item.isBlank()) {
                    continue;
                }
                try {
                    paths.add(ServerConfig.PathPattern.parse(item));
                } catch (IllegalArgumentException e) {
                    problems.add(new ConfigProblem(p + "coalesce.paths", e.getMessage() + origin(s)));
                }
            }
        }
        long maxResponse = byteSize(p + "coalesce.max-response-bytes", ServerConfig.DEFAULT_MAX_RESPONSE_BYTES,
                MAX_RESPONSE_BYTES_LIMIT);
        boolean anonymous = bool(p + "coalesce.anonymous", false);
        int maxInFlight = integer(p + "coalesce.max-in-flight", ServerConfig.DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000);
        Duration ttl = duration(p + "replay.ttl", Duration.ZERO, true);
        int replayEntries = integer(p + "replay.max-entries", ServerConfig.DEFAULT_REPLAY_MAX_ENTRIES, 1, 10_000_000);
        long replayBytes = byteSize(p + "replay.max-bytes", ServerConfig.DEFAULT_REPLAY_MAX_BYTES, MAX_TOTAL_BYTES_LIMIT);
        int maxConcurrency = integer(p + "shed.max-concurrency", 0, 0, 1_000_000);
        Duration maxQueueTime = duration(p + "shed.max-queue-time", Duration.ZERO, true);
        Duration originalMaxQueueTime = duration(p + "shed.original-max-queue-time", Duration.ZERO, true);
        Duration retryAfter = duration(p + "shed.retry-after", ServerConfig.DEFAULT_RETRY_AFTER, false);
        if (retryAfter.compareTo(Duration.ofSeconds(1)) < 0 || retryAfter.compareTo(Duration.ofHours(1)) > 0) {
            // Retry-After carries whole seconds.
            problem(p + "shed.retry-after", "is not valid; expected a whole number of seconds from 1s to 60m, e.g. 1s");
            retryAfter = ServerConfig.DEFAULT_RETRY_AFTER;
        }
        if (paths.isEmpty() && problemsFor(p + "coalesce.paths") == 0) {
            for (String key : List.of("coalesce.max-response-bytes", "coalesce.anonymous", "coalesce.max-in-flight",
                    "replay.ttl", "replay.max-entries", "replay.max-bytes")) {
                if (raw.containsKey(p + key)) {
                    problem(p + key, "has no effect: coalescing and replay are off until " + p
                            + "coalesce.paths is set");
                }
            }
        }
        boolean dropExpired = bool(p + "drop-expired", false);
        if (maxConcurrency == 0 && maxQueueTime.isZero() && originalMaxQueueTime.isZero()
                && raw.containsKey(p + "shed.retry-after") && problemsFor(p + "shed.max-concurrency") == 0
                && problemsFor(p + "shed.max-queue-time") == 0 && problemsFor(p + "shed.original-max-queue-time") == 0) {
            problem(p + "shed.retry-after", "has no effect: shedding is off until " + p + "shed.max-concurrency, "
                    + p + "shed.max-queue-time or " + p + "shed.original-max-queue-time is set");
        }
        if (maxResponse > replayBytes && !ttl.isZero() && problemsFor(p + "replay.max-bytes") == 0) {
            problem(p + "replay.max-bytes", "is less than " + p + "coalesce.max-response-bytes (" + maxResponse
                    + " bytes); expected at least that, so that a response kept for coalescing can be replayed");
        }
        return new ServerConfig(paths, maxResponse, anonymous, maxInFlight, ttl, replayEntries, replayBytes,
                maxConcurrency, retryAfter, maxQueueTime, originalMaxQueueTime, dropExpired);
    }

    private OtlpExport otlp() {
        String key = "tailguard.metrics.otlp.endpoint";
        Setting s = raw.get(key);
        String endpoint = text(key, "");
        if (!endpoint.isEmpty()) {
            URI uri = null;
            try {
                uri = new URI(endpoint);
            } catch (URISyntaxException e) {
                // reported below
            }
            if (uri == null || uri.getHost() == null
                    || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                invalid(key, s, "the http(s) URL of an OTLP/HTTP metrics endpoint, e.g. "
                        + "http://otel-collector:4318/v1/metrics");
                endpoint = "";
            }
        }
        Duration interval = duration("tailguard.metrics.otlp.interval", OtlpExport.DEFAULT_INTERVAL, false);
        if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
            problem("tailguard.metrics.otlp.interval", "is too short; expected a duration of at least 1s, e.g. 60s");
            interval = OtlpExport.DEFAULT_INTERVAL;
        }
        return endpoint.isEmpty() ? OtlpExport.OFF : new OtlpExport(endpoint, interval);
    }

    /** {@code [A-Za-z0-9_-]+}, checked without a regular expression (see {@link LazyPattern}). */
    static boolean isPolicyName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private Set<String> policyNames() {
        Set<String> names = new LinkedHashSet<>();
        for (String key : raw.keySet()) {
            if (key.startsWith(POLICY_PREFIX)) {
                String rest = key.substring(POLICY_PREFIX.length());
                int dot = rest.indexOf('.');
                String name = dot < 0 ? rest : rest.substring(0, dot);
                if (!isPolicyName(name)) {
                    consumed.add(key);
                    problems.add(new ConfigProblem(key, "policy name '" + name
                            + "' may only contain letters, digits, '-' and '_'"));
                } else if (dot >= 0) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private PolicyConfig policy(String name, BudgetConfig globalBudget) {
        String p = POLICY_PREFIX + name + ".";
        PolicyConfig.Builder b = new PolicyConfig.Builder(name);
        b.hosts = hosts(p + "hosts");
        b.maxAttempts = integer(p + "retry.max-attempts", b.maxAttempts, 1, 10);
        b.retryTimeout = duration(p + "retry.timeout", b.retryTimeout, false);
        retryOn(p + "retry.on", b);
        b.retryMethods = methods(p + "retry.methods", b.retryMethods);
        b.idempotencyKey = bool(p + "retry.idempotency-key", b.idempotencyKey);
        b.backoffInitial = duration(p + "retry.backoff.initial", b.backoffInitial, true);
        b.backoffMax = duration(p + "retry.backoff.max", b.backoffMax, true);
        if (b.backoffInitial.compareTo(b.backoffMax) > 0) {
            problem(p + "retry.backoff.initial", "must not be longer than " + p + "retry.backoff.max ("
                    + b.backoffMax.toMillis() + "ms)");
        }
        b.backoffAdaptive = bool(p + "retry.backoff.adaptive", b.backoffAdaptive);
        b.attemptTimeout = duration(p + "attempt-timeout", null, false);
        b.hedge = hedge(p);
        b.tagging = bool(p + "tagging", false);
        boolean ownBudget = raw.containsKey(p + "budget.ratio") || raw.containsKey(p + "budget.min-per-second")
                || raw.containsKey(p + "budget.ttl");
        b.budget = ownBudget ? budget(p + "budget.", globalBudget) : null;
        return new PolicyConfig(b);
    }

    private HedgeConfig hedge(String p) {
        String delayKey = p + "hedge.delay";
        Setting delay = take(delayKey);
        int maxAttempts = integer(p + "hedge.max-attempts", 2, 2, 10);
        Set<String> methods = methods(p + "hedge.methods", Set.of("GET", "HEAD", "OPTIONS"));
        Duration minDelay = duration(p + "hedge.min-delay", Duration.ofMillis(1), false);
        Duration maxDelay = duration(p + "hedge.max-delay", Duration.ofSeconds(1), false);
        Duration window = duration(p + "hedge.window", Duration.ofSeconds(30), false);
        int minSamples = integer(p + "hedge.min-samples", 20, 1, 100_000);
        if (delay == null) {
            for (String key : List.of("hedge.max-attempts", "hedge.methods", "hedge.min-delay", "hedge.max-delay",
                    "hedge.window", "hedge.min-samples")) {
                if (raw.containsKey(p + key)) {
                    problem(p + key, "has no effect: hedging is off until " + delayKey + " is set");
                }
            }
            return null;
        }
        if (minDelay.compareTo(maxDelay) > 0) {
            problem(p + "hedge.min-delay", "must not be longer than " + p + "hedge.max-delay (" + maxDelay.toMillis()
                    + "ms)");
        }
        String v = delay.value.trim().toLowerCase(Locale.ROOT);
        Matcher percentile = PERCENTILE.matcher(v);
        if (percentile.matches()) {
            double value = Double.parseDouble(percentile.group(1));
            if (value < 50 || value > 99.9) {
                invalid(delayKey, delay, "a percentile from p50 to p99.9, or a duration such as 50ms");
            }
            return new HedgeConfig(null, value, maxAttempts, methods, minDelay, maxDelay, window, minSamples);
        }
        Duration fixed = parseDuration(v);
        if (fixed == null || fixed.isZero()) {
            invalid(delayKey, delay, "a percentile from p50 to p99.9 (p95), or a positive duration such as 50ms");
            return null;
        }
        return new HedgeConfig(fixed, 0, maxAttempts, methods, minDelay, maxDelay, window, minSamples);
    }

    private BudgetConfig budget(String prefix, BudgetConfig inherited) {
        double ratio = ratio(prefix + "ratio", inherited.ratio());
        double floor = number(prefix + "min-per-second", inherited.minPerSecond(), 0, 1_000_000);
        Duration ttl = duration(prefix + "ttl", inherited.ttl(), false);
        if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofMinutes(10)) > 0) {
            problem(prefix + "ttl", "expected a duration from 1s to 10m");
        }
        return new BudgetConfig(ratio, floor, ttl);
    }

    private List<HostPattern> hosts(String key) {
        Setting s = take(key);
        if (s == null) {
            problems.add(new ConfigProblem(key, "is required: the hosts this policy applies to, e.g. "
                    + "api.example.com, *.search.internal:8443"));
            return List.of();
        }
        List<HostPattern> hosts = new ArrayList<>();
        for (String item : s.value.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            try {
                HostPattern pattern = HostPattern.parse(item);
                if (!hosts.contains(pattern)) {
                    hosts.add(pattern);
                }
            } catch (IllegalArgumentException e) {
                problems.add(new ConfigProblem(key, e.getMessage() + origin(s)));
            }
        }
        if (hosts.isEmpty() && problemsFor(key) == 0) {
            invalid(key, s, "a comma-separated list of host patterns, e.g. api.example.com, *.search.internal:8443");
        }
        return hosts;
    }

    private void retryOn(String key, PolicyConfig.Builder b) {
        Setting s = take(key);
        if (s == null) {
            return;
        }
        b.retryOnConnect = false;
        b.retryOnReset = false;
        b.retryOnTimeout = false;
        b.retryStatuses = new BitSet(600);
        for (String item : s.value.split(",")) {
            String token = item.trim().toLowerCase(Locale.ROOT);
            if (token.isEmpty()) {
                continue;
            }
            switch (token) {
                case "connect":
                    b.retryOnConnect = true;
                    break;
                case "reset":
                    b.retryOnReset = true;
                    break;
                case "timeout":
                    b.retryOnTimeout = true;
                    break;
                default:
                    int status = -1;
                    try {
                        status = Integer.parseInt(token);
                    } catch (NumberFormatException ignored) {
                        // reported below
                    }
                    if (PolicyConfig.retryableStatus(status)) {
                        b.retryStatuses.set(status);
                    } else if (status >= 100 && status <= 499) {
                        problems.add(new ConfigProblem(key, "status " + status + " is never retried: a 4xx other "
                                + "than 408/429 means the request itself is wrong; expected 408, 429 or 5xx"
                                + origin(s)));
                    } else {
                        problems.add(new ConfigProblem(key, "'" + item.trim() + "' is not an outcome; expected a "
                                + "comma-separated list of connect, reset, timeout and HTTP statuses "
                                + "(408, 429, 5xx)" + origin(s)));
                    }
            }
        }
    }

    private Set<String> methods(String key, Set<String> fallback) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        Set<String> methods = new LinkedHashSet<>();
        for (String item : s.value.split(",")) {
            String method = item.trim();
            if (method.isEmpty()) {
                continue;
            }
            if (!METHOD.matcher(method).matches()) {
                invalid(key, s, "a comma-separated list of HTTP methods, e.g. GET,HEAD,OPTIONS");
                return fallback;
            }
            methods.add(method.toUpperCase(Locale.ROOT));
        }
        return methods;
    }

    private void checkPatternClashes(List<PolicyConfig> policies) {
        Map<HostPattern, PolicyConfig> owners = new HashMap<>();
        for (PolicyConfig policy : policies) {
            for (HostPattern pattern : policy.hosts()) {
                PolicyConfig other = owners.putIfAbsent(pattern, policy);
                if (other != null) {
                    problems.add(new ConfigProblem(POLICY_PREFIX + policy.name() + ".hosts", "pattern '" + pattern
                            + "' is also claimed by " + POLICY_PREFIX + other.name()
                            + ".hosts; expected each pattern in one policy only (the most specific pattern "
                            + "decides, so equal patterns would be ambiguous)"));
                }
            }
        }
    }

    private void reportUnknownKeys() {
        for (Map.Entry<String, Setting> e : raw.entrySet()) {
            String key = e.getKey();
            if (consumed.contains(key)) {
                continue;
            }
            String suggestion = suggest(key);
            problems.add(new ConfigProblem(key, "unknown key" + origin(e.getValue())
                    + (suggestion == null ? "; see the configuration reference for the known keys"
                            : "; did you mean " + suggestion + "?")));
        }
    }

    /** The known key closest to a misspelt one, or null when nothing is close. */
    static String suggest(String key) {
        List<String> candidates = new ArrayList<>(GLOBAL_KEYS);
        String prefix = "";
        if (key.startsWith(POLICY_PREFIX)) {
            String rest = key.substring(POLICY_PREFIX.length());
            int dot = rest.indexOf('.');
            if (dot > 0) {
                prefix = POLICY_PREFIX + rest.substring(0, dot + 1);
                candidates.clear();
                candidates.addAll(POLICY_KEYS);
                key = rest.substring(dot + 1);
            }
        } else if (key.startsWith(INSTRUMENTATION_PREFIX)) {
            for (String name : INSTRUMENTATIONS) {
                candidates.add(INSTRUMENTATION_PREFIX + name + ".enabled");
            }
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int d = distance(key, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 4) ? prefix + best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    // --- typed readers: each marks its key as known and reports a bad value with the expected form

    private Setting take(String key) {
        consumed.add(key);
        Setting s = raw.get(key);
        return s == null || s.value.isBlank() ? null : s;
    }

    private boolean bool(String key, boolean fallback) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        String v = s.value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("true")) {
            return true;
        }
        if (v.equals("false")) {
            return false;
        }
        invalid(key, s, "true or false");
        return fallback;
    }

    private int integer(String key, int fallback, int min, int max) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(s.value.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        invalid(key, s, "a whole number from " + min + " to " + max);
        return fallback;
    }

    /** A size in bytes: a whole number, optionally with a binary unit (k, KiB, m, MiB, g, GiB; KB means KiB). */
    private long byteSize(String key, long fallback, long max) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        Matcher m = BYTE_SIZE.matcher(s.value.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long v = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2);
            int shift = unit.startsWith("k") ? 10 : unit.startsWith("m") ? 20 : unit.startsWith("g") ? 30 : 0;
            if (v <= max >> shift) {
                return v << shift;
            }
        }
        invalid(key, s, "a size in bytes from 0 to " + max + ", a whole number with an optional unit k, m or g "
                + "(KiB, MiB, GiB), e.g. 65536, 64k or 16MiB");
        return fallback;
    }

    private double number(String key, double fallback, double min, double max) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        try {
            double v = Double.parseDouble(s.value.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        invalid(key, s, "a number from " + (long) min + " to " + (long) max);
        return fallback;
    }

    private double ratio(String key, double fallback) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        try {
            double v = Double.parseDouble(s.value.trim());
            if (v >= 0 && v <= 1) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        invalid(key, s, "a ratio from 0 to 1, e.g. 0.2");
        return fallback;
    }

    private Duration duration(String key, Duration fallback, boolean zeroAllowed) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        String v = s.value.trim().toLowerCase(Locale.ROOT);
        Duration d = v.equals("0") ? Duration.ZERO : parseDuration(v);
        if (d == null || (d.isZero() && !zeroAllowed)) {
            invalid(key, s, (zeroAllowed ? "0 (off) or a duration" : "a positive duration")
                    + ": a number with the unit ms, s or m, e.g. 250ms, 5s or 1m");
            return fallback;
        }
        return d;
    }

    static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            return null;
        }
        double amount = Double.parseDouble(m.group(1));
        double millis;
        switch (m.group(2)) {
            case "ms":
                millis = amount;
                break;
            case "s":
                millis = amount * 1_000;
                break;
            default:
                millis = amount * 60_000;
        }
        if (millis > Duration.ofDays(1).toMillis()) {
            return null;
        }
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }

    private <E extends Enum<E>> E oneOf(String key, E fallback) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        for (E e : fallback.getDeclaringClass().getEnumConstants()) {
            if (e.name().equalsIgnoreCase(s.value.trim())) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : fallback.getDeclaringClass().getEnumConstants()) {
            names.add(e.name().toLowerCase(Locale.ROOT));
        }
        invalid(key, s, "one of " + String.join(", ", names));
        return fallback;
    }

    private String text(String key, String fallback) {
        Setting s = take(key);
        return s == null ? fallback : s.value.trim();
    }

    /** A local address to bind to: an IP literal (IPv6 with or without brackets) or a host name. */
    private String address(String key, String fallback) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        String v = s.value.trim();
        if (v.startsWith("[") && v.endsWith("]")) {
            v = v.substring(1, v.length() - 1);
        }
        if (!HOST_NAME.matcher(v).matches() && !IPV6.matcher(v).matches()) {
            invalid(key, s, "an IP address or host name of this machine to listen on, e.g. 127.0.0.1, ::1 or 0.0.0.0 "
                    + "(all interfaces)");
            return fallback;
        }
        return v;
    }

    private String headerName(String key, String fallback) {
        Setting s = take(key);
        if (s == null) {
            return fallback;
        }
        String v = s.value.trim();
        if (!v.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
            invalid(key, s, "an HTTP header name, e.g. X-Request-ID");
            return fallback;
        }
        return v;
    }

    private void invalid(String key, Setting s, String expected) {
        problems.add(new ConfigProblem(key, "'" + s.value + "'" + origin(s) + " is not valid; expected " + expected));
    }

    private void problem(String key, String message) {
        Setting s = raw.get(key);
        problems.add(new ConfigProblem(key, (s == null ? "" : "'" + s.value + "'" + origin(s) + " ") + message));
    }

    private int problemsFor(String key) {
        int n = 0;
        for (ConfigProblem p : problems) {
            if (p.key().equals(key)) {
                n++;
            }
        }
        return n;
    }

    private static String origin(Setting s) {
        return s.origin == null ? "" : " (from " + s.origin + ")";
    }

    /** Settings in precedence order: later puts replace earlier ones. */
    public static final class Settings {
        private final Map<String, Setting> values = new LinkedHashMap<>();

        public Settings put(String key, String value, String origin) {
            values.put(key, new Setting(value, origin));
            return this;
        }

        public Map<String, Setting> asMap() {
            return values;
        }
    }
}
