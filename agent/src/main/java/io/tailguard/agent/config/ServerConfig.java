package io.tailguard.agent.config;

import java.time.Duration;
import java.util.List;

/**
 * What the agent does with requests this JVM serves ({@code tailguard.server.*}): coalescing and
 * replay under some paths, shedding of retries and hedges at a concurrency limit or past a queue
 * time (and, where the application opts in, of originals past a queue time of their own), answering
 * without the handler a request its client no longer waits for. {@link #OFF} unless configured.
 */
public final class ServerConfig {

    public static final long DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
    public static final int DEFAULT_MAX_IN_FLIGHT = 1_000;
    public static final int DEFAULT_REPLAY_MAX_ENTRIES = 10_000;
    public static final long DEFAULT_REPLAY_MAX_BYTES = 16 * 1024 * 1024;
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

    public static final ServerConfig OFF = new ServerConfig(List.of(), DEFAULT_MAX_RESPONSE_BYTES, false,
            DEFAULT_MAX_IN_FLIGHT, Duration.ZERO, DEFAULT_REPLAY_MAX_ENTRIES, DEFAULT_REPLAY_MAX_BYTES, 0,
            DEFAULT_RETRY_AFTER, Duration.ZERO, Duration.ZERO, false);

    private final List<PathPattern> paths;
    private final long maxResponseBytes;
    private final boolean anonymous;
    private final int maxInFlight;
    private final Duration replayTtl;
    private final int replayMaxEntries;
    private final long replayMaxBytes;
    private final int maxConcurrency;
    private final Duration retryAfter;
    private final Duration maxQueueTime;
    private final Duration originalMaxQueueTime;
    private final boolean dropExpired;

    public ServerConfig(List<PathPattern> paths, long maxResponseBytes, boolean anonymous, int maxInFlight,
            Duration replayTtl, int replayMaxEntries, long replayMaxBytes, int maxConcurrency, Duration retryAfter,
            Duration maxQueueTime, Duration originalMaxQueueTime, boolean dropExpired) {
        this.paths = List.copyOf(paths);
        this.maxResponseBytes = maxResponseBytes;
        this.anonymous = anonymous;
        this.maxInFlight = maxInFlight;
        this.replayTtl = replayTtl;
        this.replayMaxEntries = replayMaxEntries;
        this.replayMaxBytes = replayMaxBytes;
        this.maxConcurrency = maxConcurrency;
        this.retryAfter = retryAfter;
        this.maxQueueTime = maxQueueTime;
        this.originalMaxQueueTime = originalMaxQueueTime;
        this.dropExpired = dropExpired;
    }

    /** Whether anything is configured: when not, every request runs its handler untouched. */
    public boolean active() {
        return !paths.isEmpty() || maxConcurrency > 0 || !maxQueueTime.isZero() || !originalMaxQueueTime.isZero()
                || dropExpired;
    }

    /** Paths under which attempts are coalesced and {@code Idempotency-Key} responses replayed. */
    public List<PathPattern> paths() {
        return paths;
    }

    /** Whether a path (the target without its query) is one where attempts are coalesced. */
    public boolean coalesces(String path) {
        for (PathPattern p : paths) {
            if (p.matches(path)) {
                return true;
            }
        }
        return false;
    }

    /** The largest response body kept to share with another attempt or to replay. */
    public long maxResponseBytes() {
        return maxResponseBytes;
    }

    /** Whether requests that carry no credentials at all may be coalesced and replayed. */
    public boolean anonymous() {
        return anonymous;
    }

    /** How many requests the in-flight table tracks at most; beyond, requests run untracked. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** How long a completed {@code Idempotency-Key} response is replayed; zero: not kept. */
    public Duration replayTtl() {
        return replayTtl;
    }

    public int replayMaxEntries() {
        return replayMaxEntries;
    }

    public long replayMaxBytes() {
        return replayMaxBytes;
    }

    /** In-flight requests at which retries and hedges are refused; zero: never. */
    public int maxConcurrency() {
        return maxConcurrency;
    }

    /**
     * Time in the container's queue past which retries and hedges are refused, as configured
     * ({@code shed.max-queue-time}); zero: not set. What is in force for them is
     * {@link #retryQueueBound()}.
     */
    public Duration maxQueueTime() {
        return maxQueueTime;
    }

    /**
     * Time in the container's queue past which originals too are refused
     * ({@code shed.original-max-queue-time}); zero: never, the default.
     */
    public Duration originalMaxQueueTime() {
        return originalMaxQueueTime;
    }

    /**
     * The queue time past which retries and hedges are refused: the smaller of the two bounds that
     * are set (zero when neither is). A retry or hedge is never admitted where an original would be
     * refused: it would take a thread that the refused original's caller, still waiting, is denied.
     */
    public Duration retryQueueBound() {
        if (maxQueueTime.isZero()) {
            return originalMaxQueueTime;
        }
        if (originalMaxQueueTime.isZero()) {
            return maxQueueTime;
        }
        return maxQueueTime.compareTo(originalMaxQueueTime) <= 0 ? maxQueueTime : originalMaxQueueTime;
    }

    /**
     * Whether a request that waited in the container's queue longer than its client said it would
     * wait is answered without the handler.
     */
    public boolean dropExpired() {
        return dropExpired;
    }

    /** The {@code Retry-After} a refused retry or hedge gets. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /**
     * A path pattern: an exact path ({@code /api/items}), a prefix ending in {@code /*}
     * ({@code /api/*}: {@code /api} and everything below it) or {@code /*} for every path.
     */
    public static final class PathPattern {
        private final String text;
        private final String prefix;

        private PathPattern(String text, String prefix) {
            this.text = text;
            this.prefix = prefix;
        }

        /** @throws IllegalArgumentException with the expected form */
        public static PathPattern parse(String text) {
            String t = text.trim();
            if (!t.startsWith("/") || t.indexOf('*') >= 0 && !(t.endsWith("/*") && t.indexOf('*') == t.length() - 1)
                    || t.indexOf('?') >= 0 || t.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
                throw new IllegalArgumentException("'" + t + "' is not a path pattern; expected a path starting with "
                        + "'/', optionally ending in '/*' for everything below it, e.g. /api/items, /api/* or /*");
            }
            return new PathPattern(t, t.endsWith("/*") ? t.substring(0, t.length() - 1) : null);
        }

        public boolean matches(String path) {
            if (prefix == null) {
                return path.equals(text);
            }
            return path.startsWith(prefix) || path.length() == prefix.length() - 1 && prefix.startsWith(path);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
