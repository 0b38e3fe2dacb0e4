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
    /** Ports remembered per host; a host called on more ports is looked up afresh for the others. */
    private static final int PORTS_PER_HOST = 8;
    private static final Object NO_POLICY = new Object();

    private final Map<String, PolicyConfig> exact = new HashMap<>();
    private final Map<String, PolicyConfig> exactWithPort = new HashMap<>();
    private final Map<String, PolicyConfig> suffix = new HashMap<>();
    private final Map<String, PolicyConfig> suffixWithPort = new HashMap<>();
    private final boolean empty;
    /**
     * Keyed by the host as the client gives it, each with the ports seen: a lookup on every call
     * builds no key. Bounded so that a client calling many hosts cannot grow it forever.
     */
    private final ConcurrentHashMap<String, Ports> cache = new ConcurrentHashMap<>();

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
        Ports known = cache.get(host);
        for (Ports p = known; p != null; p = p.next) {
            if (p.port == port) {
                return p.policy == NO_POLICY ? null : (PolicyConfig) p.policy;
            }
        }
        PolicyConfig found = find(host.toLowerCase(Locale.ROOT), port);
        if ((known == null ? cache.size() < CACHE_LIMIT : known.count < PORTS_PER_HOST)) {
            // Two threads adding a port at once may keep only one of them: the other is looked up
            // again next time, with the same answer.
            cache.put(host, new Ports(port, found == null ? NO_POLICY : found, known));
        }
        return found;
    }

    /** The ports of one host looked up so far, newest first; immutable. */
    private static final class Ports {
        final int port;
        final Object policy;
        final Ports next;
        final int count;

        Ports(int port, Object policy, Ports next) {
            this.port = port;
            this.policy = policy;
            this.next = next;
            this.count = next == null ? 1 : next.count + 1;
        }
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
