package io.tailguard.agent.config;

import java.util.Locale;

/**
 * One entry of a policy's {@code hosts}: an exact host ({@code api.example.com}) or a suffix glob
 * ({@code *.search.internal}, matching any host below that domain but not the domain itself), with
 * an optional port. IPv6 literals are written in brackets: {@code [::1]:8080}.
 */
public final class HostPattern {

    private static final LazyPattern IPV6 = new LazyPattern("\\[[0-9a-f:.]+]");

    /** Host part, lower case; for a glob, the suffix after {@code *} (it starts with a dot). */
    private final String host;
    private final boolean wildcard;
    /** -1 when the pattern matches any port. */
    private final int port;

    private HostPattern(String host, boolean wildcard, int port) {
        this.host = host;
        this.wildcard = wildcard;
        this.port = port;
    }

    /** @throws IllegalArgumentException with a message that says what form was expected */
    public static HostPattern parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        int port = -1;
        String hostPart = s;
        int colon = s.lastIndexOf(':');
        boolean bracketed = s.startsWith("[");
        if (colon > 0 && (!bracketed || s.lastIndexOf(']') < colon)) {
            String portText = s.substring(colon + 1);
            hostPart = s.substring(0, colon);
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                port = 0;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("'" + text + "' has an invalid port '" + portText
                        + "'; expected a number 1-65535 after the colon");
            }
        }
        boolean wildcard = hostPart.startsWith("*.");
        String name = wildcard ? hostPart.substring(2) : hostPart;
        boolean valid = bracketed ? !wildcard && IPV6.matcher(name).matches() : isHostName(name);
        if (!valid) {
            throw new IllegalArgumentException("'" + text + "' is not a host pattern; expected a host name "
                    + "(api.example.com), a suffix glob (*.example.com) or an IP address, each with an "
                    + "optional :port");
        }
        return new HostPattern(wildcard ? "." + name : name, wildcard, port);
    }

    /**
     * Dot-separated labels of {@code [a-z0-9_-]}, none empty, none starting or ending with
     * {@code -}: the regular expression {@code [a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*},
     * checked without one, since every policy's hosts are parsed in premain (see {@link LazyPattern}).
     */
    static boolean isHostName(String name) {
        int labelStart = 0;
        for (int i = 0; i <= name.length(); i++) {
            if (i == name.length() || name.charAt(i) == '.') {
                if (i == labelStart || name.charAt(labelStart) == '-' || name.charAt(i - 1) == '-') {
                    return false;
                }
                labelStart = i + 1;
            } else {
                char c = name.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                    return false;
                }
            }
        }
        return true;
    }

    boolean isWildcard() {
        return wildcard;
    }

    /** The exact host, or for a glob the suffix including its leading dot. */
    String host() {
        return host;
    }

    int port() {
        return port;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof HostPattern)) {
            return false;
        }
        HostPattern other = (HostPattern) o;
        return host.equals(other.host) && wildcard == other.wildcard && port == other.port;
    }

    @Override
    public int hashCode() {
        return (host.hashCode() * 31 + (wildcard ? 1 : 0)) * 31 + port;
    }

    @Override
    public String toString() {
        return (wildcard ? "*" : "") + host + (port < 0 ? "" : ":" + port);
    }
}
