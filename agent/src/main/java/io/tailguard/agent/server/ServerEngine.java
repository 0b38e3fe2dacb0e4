package io.tailguard.agent.server;

import io.tailguard.agent.config.Mode;
import io.tailguard.agent.config.ServerConfig;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.Clock;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The container-blind core of the server side: it decides, for each incoming request, whether the
 * handler runs, waits for another attempt of the same request, replays a recorded response, or is
 * refused. Off unless {@code tailguard.server.*} is configured.
 *
 * <p>Keys are scoped to the caller ({@link CallerKey}): a copied request id never reaches another
 * caller's response. Requests without any credential are coalesced and replayed only when
 * {@code tailguard.server.coalesce.anonymous} says so.
 */
public final class ServerEngine {

    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /**
     * The response header of a retry or hedge refused at the concurrency limit or past the queue
     * time bound, of an original refused past its own queue time bound (where configured), and of a
     * request answered without its handler because its client no longer waits for it. Tailguard
     * clients do not retry a response that carries it, and count a refused hedge as a lost attempt.
     */
    public static final String SHED_HEADER = "Tailguard-Shed";

    /** Methods whose attempts are coalesced without an {@code Idempotency-Key}. */
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final Clock clock;
    private final Consumer<Throwable> internalFailures;
    private final AtomicInteger concurrency = new AtomicInteger();
    private final Map<CallerKey, Flight> flights = new HashMap<>();
    private final ReplayTable replays = new ReplayTable();
    private final LongAdder[] counts = new LongAdder[ServerKind.values().length * ServerOutcome.values().length * 2];
    private final LongAdder savedNanos = new LongAdder();
    private volatile Settings settings = Settings.OFF;

    public ServerEngine() {
        this(Clock.SYSTEM, failure -> { });
    }

    public ServerEngine(Clock clock, Consumer<Throwable> internalFailures) {
        this.clock = clock;
        this.internalFailures = internalFailures;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    /** Puts a configuration in force for requests that arrive from now on. */
    public void configure(TailguardConfig config) {
        Settings s = config == null || !config.enabled() ? Settings.OFF : new Settings(config);
        if (s.config.replayTtl().isZero()) {
            replays.clear();
        } else {
            replays.shrink(s.config.replayMaxEntries(), s.config.replayMaxBytes());
        }
        settings = s;
    }

    /** Whether any server-side feature is configured: when not, adapters run the handler untouched. */
    public boolean active() {
        return settings.config.active();
    }

    /**
     * Serves one request. Adapters call this only when {@link #active()}; it runs on the container's
     * thread and returns when the request has been answered. What the handler throws comes out of
     * here unchanged; a failure of the engine's own before the handler ran or an answer was started
     * runs the handler as without the agent (adapters need no fallback of their own).
     */
    public void handle(ServerExchange exchange) throws Exception {
        Settings s = settings;
        long arrived = clock.nanoTime();
        Answering answering = new Answering(exchange);
        try {
            Decision decision = decide(answering, s, arrived);
            concurrency.incrementAndGet();
            try {
                serve(answering, s, decision);
            } finally {
                concurrency.decrementAndGet();
            }
        } catch (RuntimeException | Error failure) {
            if (answering.started) {
                // The handler's own, or the container's while answering: as without the agent.
                throw failure;
            }
            // The one place the server side fails open: our failure becomes the plain handler run.
            report(failure);
            exchange.proceed(null);
        }
    }

    private Decision decide(ServerExchange exchange, Settings s, long arrived) {
        ServerKind kind = RequestTags.kind(exchange.header(s.attemptHeader), exchange.header(s.hedgeHeader));
        Decision d = new Decision(kind);
        long queued = exchange.queuedNanos();
        long waits = RequestTags.waitNanos(exchange.header(s.timeoutHeader));
        if (waits != RequestTags.NO_WAIT) {
            // The client's time counts from when it sent the attempt; the queue took some of it.
            long left = waits - Math.max(0, queued);
            if (queued != QueueWait.UNKNOWN && left <= 0 && s.config.dropExpired()) {
                d.expired = true;
                return d;
            }
            d.giveUpAt = arrived + Math.max(0, left);
        }
        if (kind != ServerKind.PRIMARY && (s.config.maxConcurrency() > 0
                && concurrency.get() >= s.config.maxConcurrency()
                || s.maxQueueNanos > 0 && queued > s.maxQueueNanos)) {
            d.shed = true;
            return d;
        }
        if (kind == ServerKind.PRIMARY && s.originalMaxQueueNanos > 0 && queued > s.originalMaxQueueNanos) {
            // Only where the application opted in: the queue's head is this stale, so serving it
            // keeps every request behind it waiting as long; refused, the queue drains at once.
            d.shed = true;
            return d;
        }
        String method = exchange.method();
        String target = exchange.target();
        if (s.config.paths().isEmpty() || method == null || target == null || !s.config.coalesces(path(target))) {
            return d;
        }
        String idempotencyKey = exchange.header(IDEMPOTENCY_KEY);
        String key = RequestTags.bounded(idempotencyKey);
        if (idempotencyKey != null && key == null) {
            // An oversized or malformed key: the request runs as without the agent, untracked.
            return d;
        }
        if (key == null && !SAFE_METHODS.contains(method)) {
            return d;
        }
        if (!s.config.anonymous() && !CallerKey.hasCredentials(exchange)) {
            return d;
        }
        if (key != null) {
            d.idempotent = true;
            d.key = CallerKey.of(exchange, "idempotency-key", "", "", key);
            d.signature = CallerKey.signature(method, target, exchange.header("Content-Type"),
                    exchange.header("Content-Length"));
        } else {
            String id = RequestTags.bounded(exchange.header(s.requestIdHeader));
            if (id == null) {
                return d;
            }
            d.key = CallerKey.of(exchange, "request-id", method, target, id);
            d.signature = null;
        }
        return d;
    }

    private void serve(ServerExchange exchange, Settings s, Decision d) throws Exception {
        if (d.expired) {
            count(d.kind, ServerOutcome.EXPIRED, s.shadow);
            if (!s.shadow) {
                expire(exchange, s);
                return;
            }
            exchange.proceed(null);
            return;
        }
        if (d.shed) {
            count(d.kind, ServerOutcome.SHED, s.shadow);
            if (!s.shadow) {
                exchange.reject(503, s.shedHeaders, d.kind == ServerKind.PRIMARY
                        ? "overloaded: this request waited in the server's queue longer than it allows and was refused "
                                + "so that the requests behind it are served"
                        : "overloaded: this " + d.kind.label()
                                + " was refused so that original requests are served; do not retry it");
                return;
            }
            exchange.proceed(null);
            return;
        }
        if (d.key == null) {
            runUntracked(exchange, d, s);
            return;
        }
        if (d.idempotent && !s.config.replayTtl().isZero()) {
            ReplayTable.Stored stored = replays.get(d.key, clock.nanoTime());
            if (stored != null) {
                if (!stored.signature.equals(d.signature)) {
                    reuse(exchange, d, s);
                } else {
                    count(d.kind, ServerOutcome.REPLAYED, s.shadow);
                    if (s.shadow) {
                        exchange.proceed(null);
                    } else {
                        savedNanos.add(stored.handlerNanos);
                        exchange.replay(stored.response);
                    }
                }
                return;
            }
        }
        Flight mine = new Flight(d.signature);
        Flight first;
        synchronized (flights) {
            first = flights.get(d.key);
            if (first == null) {
                if (flights.size() < s.config.maxInFlight()) {
                    flights.put(d.key, mine);
                } else {
                    mine = null;
                }
            }
        }
        if (first != null) {
            join(exchange, d, s, first);
        } else if (mine == null) {
            runUntracked(exchange, d, s);
        } else {
            runFirst(exchange, d, s, mine);
        }
    }

    private void join(ServerExchange exchange, Decision d, Settings s, Flight first) throws Exception {
        if (d.idempotent && !first.signature.equals(d.signature)) {
            reuse(exchange, d, s);
            return;
        }
        if (s.shadow) {
            count(d.kind, ServerOutcome.COALESCED, true);
            exchange.proceed(null);
            return;
        }
        Flight.Wait waited = first.await(exchange, clock, d.giveUpAt);
        if (waited == Flight.Wait.CLIENT_GONE) {
            // The waiting client left; the first attempt runs on, for its own client.
            count(d.kind, ServerOutcome.ABANDONED, false);
            return;
        }
        if (waited == Flight.Wait.EXPIRED) {
            // Its client stopped waiting; the first attempt runs on, for its own client.
            count(d.kind, ServerOutcome.EXPIRED, false);
            expire(exchange, s);
            return;
        }
        RecordedResponse response = first.response();
        if (response == null) {
            // Too large, streamed or failed: this attempt gets its own handler run.
            runUntracked(exchange, d, s);
            return;
        }
        count(d.kind, ServerOutcome.COALESCED, false);
        savedNanos.add(first.handlerNanos());
        exchange.replay(response);
    }

    private void runFirst(ServerExchange exchange, Decision d, Settings s, Flight mine) throws Exception {
        Recording recording = new Recording(s.config.maxResponseBytes());
        long start = clock.nanoTime();
        boolean failed = true;
        try {
            exchange.proceed(recording);
            failed = false;
        } finally {
            long took = clock.nanoTime() - start;
            // The adapter tells a failure to deliver a complete response (its client left) from the
            // handler's own; without its word, a handler that threw produced nothing to share.
            if (failed && !recording.finished()) {
                recording.finished(new IllegalStateException("the handler threw"));
            }
            RecordedResponse response = recording.result();
            synchronized (flights) {
                flights.remove(d.key, mine);
            }
            mine.complete(response, took);
            count(d.kind, ServerOutcome.HANDLED, false);
            // A 5xx may be transient: a retry with the same key should run again, not see it again.
            if (response != null && d.idempotent && !s.config.replayTtl().isZero() && response.status() < 500) {
                long now = clock.nanoTime();
                replays.put(d.key, new ReplayTable.Stored(d.signature, response, now + s.config.replayTtl().toNanos(),
                        took), s.config.replayMaxEntries(), s.config.replayMaxBytes(), now);
            }
        }
    }

    /**
     * Answers a request whose client no longer waits for it: 503 with the shed header, so that a
     * Tailguard client that somehow still reads it does not retry it. Nobody is expected to read it;
     * it ends the exchange cleanly for the container.
     */
    private static void expire(ServerExchange exchange, Settings s) throws IOException {
        exchange.reject(503, s.shedHeaders, "expired: the client's time for this request ran out before it was served");
    }

    /** Runs the handler as without the agent; counted as handled (in shadow mode too: it ran). */
    private void runUntracked(ServerExchange exchange, Decision d, Settings s) throws Exception {
        try {
            exchange.proceed(null);
        } finally {
            count(d.kind, ServerOutcome.HANDLED, false);
        }
    }

    /**
     * An {@code Idempotency-Key} the caller already used for a different request (another method,
     * target or payload): 422 as the IETF draft asks, whether the first is still running or done.
     */
    private void reuse(ServerExchange exchange, Decision d, Settings s) throws Exception {
        count(d.kind, ServerOutcome.REJECTED, s.shadow);
        if (s.shadow) {
            exchange.proceed(null);
            return;
        }
        exchange.reject(422, Map.of("Content-Type", List.of("text/plain; charset=utf-8")),
                "this Idempotency-Key was already used for a different request");
    }

    private static String path(String target) {
        int query = target.indexOf('?');
        return query < 0 ? target : target.substring(0, query);
    }

    private void count(ServerKind kind, ServerOutcome outcome, boolean shadow) {
        counts[index(kind, outcome, shadow)].increment();
    }

    private static int index(ServerKind kind, ServerOutcome outcome, boolean shadow) {
        return (kind.ordinal() * ServerOutcome.values().length + outcome.ordinal()) * 2 + (shadow ? 1 : 0);
    }

    private void report(Throwable bug) {
        try {
            internalFailures.accept(bug);
        } catch (Throwable ignored) {
            // Reporting must never fail a request.
        }
    }

    /**
     * Requests of this kind that ended so since the agent started; with {@code shadow}, those that
     * would have in shadow mode (their handler ran as usual).
     */
    public long requests(ServerKind kind, ServerOutcome outcome, boolean shadow) {
        return counts[index(kind, outcome, shadow)].sum();
    }

    /**
     * Every count at once, for differences over an interval: {@link #requests} at
     * {@link #countIndex}, then {@link #savedNanos} last.
     */
    public long[] counts() {
        long[] all = new long[counts.length + 1];
        for (int i = 0; i < counts.length; i++) {
            all[i] = counts[i].sum();
        }
        all[counts.length] = savedNanos.sum();
        return all;
    }

    /** Where {@link #counts} holds the count of {@link #requests} with these arguments. */
    public static int countIndex(ServerKind kind, ServerOutcome outcome, boolean shadow) {
        return index(kind, outcome, shadow);
    }

    /** Handler time not spent because a response was shared or replayed, in nanoseconds. */
    public long savedNanos() {
        return savedNanos.sum();
    }

    /** Requests in {@link #handle} right now: what the concurrency limit compares. */
    public int concurrency() {
        return concurrency.get();
    }

    /** Entries of the in-flight table. */
    public int inFlightEntries() {
        synchronized (flights) {
            return flights.size();
        }
    }

    public int replayEntries() {
        return replays.size();
    }

    public long replayBytes() {
        return replays.bytes();
    }

    /** The exchange, noting whether the handler ran or an answer was started: then nothing may run it again. */
    private static final class Answering implements ServerExchange {
        private final ServerExchange exchange;
        boolean started;

        Answering(ServerExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public String method() {
            return exchange.method();
        }

        @Override
        public String target() {
            return exchange.target();
        }

        @Override
        public String header(String name) {
            return exchange.header(name);
        }

        @Override
        public List<String> headers(String name) {
            return exchange.headers(name);
        }

        @Override
        public String authenticatedIdentity() {
            return exchange.authenticatedIdentity();
        }

        @Override
        public void proceed(ResponseRecorder recorder) throws Exception {
            started = true;
            exchange.proceed(recorder);
        }

        @Override
        public void replay(RecordedResponse response) throws IOException {
            started = true;
            exchange.replay(response);
        }

        @Override
        public void reject(int status, Map<String, List<String>> headers, String body) throws IOException {
            started = true;
            exchange.reject(status, headers, body);
        }

        @Override
        public long queuedNanos() {
            return exchange.queuedNanos();
        }

        @Override
        public boolean clientGone() {
            return exchange.clientGone();
        }
    }

    /** What {@link #decide} found out about one request. */
    private static final class Decision {
        final ServerKind kind;
        boolean shed;
        boolean expired;
        /** When its client stops waiting for it, on the engine's clock; {@code Long.MAX_VALUE}: not said. */
        long giveUpAt = Long.MAX_VALUE;
        boolean idempotent;
        CallerKey key;
        CallerKey signature;

        Decision(ServerKind kind) {
            this.kind = kind;
        }
    }

    /** The configuration in force, with what every request reads of it resolved once. */
    private static final class Settings {
        static final Settings OFF = new Settings();

        final ServerConfig config;
        final boolean shadow;
        final String requestIdHeader;
        final String attemptHeader;
        final String hedgeHeader;
        final String timeoutHeader;
        /** Retries' and hedges' bound: the smaller of the two queue-time bounds that are set. */
        final long maxQueueNanos;
        final long originalMaxQueueNanos;
        final Map<String, List<String>> shedHeaders;

        private Settings() {
            config = ServerConfig.OFF;
            shadow = false;
            requestIdHeader = "X-Request-ID";
            attemptHeader = "X-Attempt";
            hedgeHeader = "X-Is-Hedge";
            timeoutHeader = "X-Request-Timeout-Ms";
            maxQueueNanos = 0;
            originalMaxQueueNanos = 0;
            shedHeaders = Map.of();
        }

        Settings(TailguardConfig c) {
            config = c.server();
            shadow = c.mode() == Mode.SHADOW;
            requestIdHeader = c.taggingHeaders().requestId();
            attemptHeader = c.taggingHeaders().attempt();
            hedgeHeader = c.taggingHeaders().hedge();
            timeoutHeader = c.taggingHeaders().timeout();
            maxQueueNanos = config.retryQueueBound().toNanos();
            originalMaxQueueNanos = config.originalMaxQueueTime().toNanos();
            shedHeaders = Map.of("Retry-After", List.of(Long.toString(config.retryAfter().getSeconds())),
                    SHED_HEADER, List.of("1"), "Content-Type", List.of("text/plain; charset=utf-8"));
        }
    }
}
