package io.tailguard.agent.engine;

import java.util.Locale;

/** Why an attempt was sent. */
public enum AttemptKind {
    /** The first attempt of a logical request. */
    PRIMARY,
    /** Sent after every earlier attempt failed. */
    RETRY,
    /** Sent while an earlier attempt was still in flight and slow. */
    HEDGE;

    /** The name used in meters and logs. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
