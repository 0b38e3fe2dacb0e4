package io.tailguard.agent.config;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One entry of a policy's {@code hosts}: an exact host ({@code api.example.com}) or a suffix glob
 * ({@code *.search.internal}, matching any host below that domain but not the domain itself), with
 * an optional port. IPv6 literals are written in brackets: {@code [::1]:8080}.
 */
public final class HostPattern {

    private static final Pattern LABELS = Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9a-f:.]+]");

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
        boolean valid = bracketed ? !wildcard && IPV6.matcher(name).matches() : LABELS.matcher(name).matches();
        if (!valid) {
            throw new IllegalArgumentException("'" + text + "' is not a host pattern; expected a host name "
                    + "(api.example.com), a suffix glob (*.example.com) or an IP address, each with an "
                    + "optional :port");
        }
        return new HostPattern(wildcard ? "." + name : name, wildcard, port);
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
