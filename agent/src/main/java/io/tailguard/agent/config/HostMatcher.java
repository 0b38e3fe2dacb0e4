package io.tailguard.agent.config;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the policy for a request's host and port. The most specific pattern wins: an exact host
 * beats a glob, a longer glob suffix beats a shorter one, and with the same host part a pattern
 * with a port beats one without. Identical patterns in two policies are rejected at parse time, so
 * the winner is always unique.
 */
public final class HostMatcher {

    private static final int CACHE_LIMIT = 4096;
    private static final Object NO_POLICY = new Object();

    private final Map<String, PolicyConfig> exact = new HashMap<>();
    private final Map<String, PolicyConfig> exactWithPort = new HashMap<>();
    private final Map<String, PolicyConfig> suffix = new HashMap<>();
    private final Map<String, PolicyConfig> suffixWithPort = new HashMap<>();
    private final boolean empty;
    /** Keyed by "host:port"; bounded so that a client calling many hosts cannot grow it forever. */
    private final ConcurrentHashMap<String, Object> cache = new ConcurrentHashMap<>();

    HostMatcher(List<PolicyConfig> policies) {
        for (PolicyConfig policy : policies) {
            for (HostPattern pattern : policy.hosts()) {
                if (pattern.isWildcard()) {
                    (pattern.port() < 0 ? suffix : suffixWithPort).put(key(pattern.host(), pattern.port()), policy);
                } else {
                    (pattern.port() < 0 ? exact : exactWithPort).put(key(pattern.host(), pattern.port()), policy);
                }
            }
        }
        empty = exact.isEmpty() && exactWithPort.isEmpty() && suffix.isEmpty() && suffixWithPort.isEmpty();
    }

    /** @return the policy for this host, or {@code null} when no pattern matches */
    public PolicyConfig policyFor(String host, int port) {
        if (empty || host == null) {
            return null;
        }
        String cacheKey = host + ':' + port;
        Object cached = cache.get(cacheKey);
        if (cached == null) {
            PolicyConfig found = find(host.toLowerCase(Locale.ROOT), port);
            cached = found == null ? NO_POLICY : found;
            if (cache.size() < CACHE_LIMIT) {
                cache.put(cacheKey, cached);
            }
        }
        return cached == NO_POLICY ? null : (PolicyConfig) cached;
    }

    private PolicyConfig find(String host, int port) {
        PolicyConfig policy = exactWithPort.get(key(host, port));
        if (policy == null) {
            policy = exact.get(key(host, -1));
        }
        for (int dot = host.indexOf('.'); policy == null && dot >= 0; dot = host.indexOf('.', dot + 1)) {
            String tail = host.substring(dot);
            policy = suffixWithPort.get(key(tail, port));
            if (policy == null) {
                policy = suffix.get(key(tail, -1));
            }
        }
        return policy;
    }

    private static String key(String host, int port) {
        return port < 0 ? host : host + ':' + port;
    }
}
