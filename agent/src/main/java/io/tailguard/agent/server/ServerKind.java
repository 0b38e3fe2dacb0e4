package io.tailguard.agent.server;

import java.util.Locale;

/** What an incoming request says it is, by the tags a Tailguard client (or any client) wrote. */
public enum ServerKind {
    /** The first attempt of a request, or a request without tags, or with tags we could not read. */
    PRIMARY,
    RETRY,
    HEDGE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
