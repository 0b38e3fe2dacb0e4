package io.tailguard.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.config.InvalidConfigException;
import io.tailguard.agent.config.TestConfigs;
import io.tailguard.agent.engine.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServerEngineTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final Clock clock = new Clock() {
        @Override
        public long nanoTime() {
            return nanos.get();
        }

        @Override
        public long currentTimeMillis() {
            return nanos.get() / 1_000_000L;
        }
    };
    private final List<Throwable> internalFailures = new ArrayList<>();
    private final ServerEngine engine = new ServerEngine(clock, internalFailures::add);
    private final AtomicInteger runs = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch started = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();

    @AfterEach
    void noInternalFailures() throws Exception {
        release.countDown();
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertEquals(List.of(), internalFailures);
    }

    private void configure(String... lines) throws InvalidConfigException {
        engine.configure(TestConfigs.parse(lines));
    }

    /** A handler that answers with its run number, after the test releases it. */
    private final FakeExchange.Handler blocking = (exchange, response) -> {
        started.countDown();
        assertTrue(release.await(10, TimeUnit.SECONDS));
        response.send(200, "run " + runs.get());
    };

    private final FakeExchange.Handler quick = (exchange, response) -> response.send(200, "run " + runs.get());

    private FakeExchange get(String target, FakeExchange.Handler handler) {
        return new FakeExchange("GET", target, handler, runs);
    }

    private Thread serve(FakeExchange exchange) {
        Thread t = new Thread(() -> {
            try {
                engine.handle(exchange);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        t.start();
        threads.add(t);
        return t;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not reached in 10 s");
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @Test
    void nothingConfiguredIsInactiveAndRunsTheHandlerWithoutRecording() throws Exception {
        engine.configure(TestConfigs.parse("tailguard.mode=enforce"));
        assertFalse(engine.active());
        FakeExchange e = get("/items", quick).header("X-Request-ID", "r1").header("Authorization", "a");
        engine.handle(e);
        assertEquals("handled", e.how);
        assertEquals("run 1", e.body);
    }

    @Test
    void aHedgeArrivingWhileItsPrimaryRunsGetsACopyOfThePrimarysResponse() throws Exception {
        configure("tailguard.server.coalesce.paths=/items/*");
        FakeExchange primary = get("/items/1?x=1", blocking).header("X-Request-ID", "r1").header("X-Attempt", "1")
                .header("Authorization", "Bearer a");
        FakeExchange hedge = get("/items/1?x=1", blocking).header("X-Request-ID", "r1").header("X-Attempt", "2")
                .header("X-Is-Hedge", "true").header("Authorization", "Bearer a");
        Thread p = serve(primary);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Thread h = serve(hedge);
        await(() -> engine.concurrency() == 2);
        release.countDown();
        p.join(10_000);
        h.join(10_000);
        assertEquals(1, runs.get());
        assertEquals("replayed", hedge.how);
        assertEquals("run 1", primary.body);
        assertEquals("run 1", hedge.body);
        assertEquals(200, hedge.status);
        assertEquals(List.of("text/plain"), hedge.responseHeaders.get("Content-Type"));
        assertFalse(hedge.responseHeaders.containsKey("Content-Length"), "framing is the replay's own");
        assertEquals(1, engine.requests(ServerKind.HEDGE, ServerOutcome.COALESCED, false));
        assertEquals(1, engine.requests(ServerKind.PRIMARY, ServerOutcome.HANDLED, false));
        assertEquals(0, engine.inFlightEntries());
    }

    @Test
    void callersWithDifferentCredentialsAndTheSameRequestIdEachGetTheirOwnRun() throws Exception {
        configure("tailguard.server.coalesce.paths=/*");
        FakeExchange alice = get("/me", blocking).header("X-Request-ID", "same").header("Cookie", "a=1")
                .header("Cookie", "session=alice");
        FakeExchange mallory = get("/me", quick).header("X-Request-ID", "same").header("Cookie", "a=1")
                .header("Cookie", "session=mallory").header("X-Is-Hedge", "true");
        serve(alice);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        engine.handle(mallory);
        assertEquals("handled-recorded", mallory.how, "her own run, as the first of her own key");
        assertEquals("run 2", mallory.body);
        release.countDown();
        threads.get(0).join(10_000);
        assertEquals("run 2", alice.body, "alice's own handler run answered her");
        assertEquals(2, runs.get());
    }

    @Test
    void anAuthenticatedPrincipalScopesTheKeyToo() throws Exception {
        configure("tailguard.server.coalesce.paths=/*");
        serve(get("/me", blocking).header("X-Request-ID", "r").identity("alice"));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        FakeExchange bob = get("/me", quick).header("X-Request-ID", "r").identity("bob");
        engine.handle(bob);
        assertEquals("handled-recorded", bob.how);
        assertEquals(2, runs.get());
    }

    @Test
    void requestsWithoutCredentialsAreCoalescedOnlyWhenConfigured() throws Exception {
        configure("tailguard.server.coalesce.paths=/*");
        serve(get("/public", blocking).header("X-Request-ID", "r"));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        FakeExchange second = get("/public", quick).header("X-Request-ID", "r");
        engine.handle(second);
        assertEquals("handled", second.how);
        assertEquals(0, engine.inFlightEntries(), "an anonymous request is not even tracked");

        configure("tailguard.server.coalesce.paths=/*", "tailguard.server.coalesce.anonymous=true");
        assertTrue(engine.active());
        release.countDown();
        threads.get(0).join(10_000);
        engine.handle(get("/public", quick).header("X-Request-ID", "r2"));
        assertEquals(0, engine.inFlightEntries());
    }

    @Test
    void onlyConfiguredPathsAndSafeMethodsAreCoalesced() throws Exception {
        configure("tailguard.server.coalesce.paths=/items/*", "tailguard.server.coalesce.anonymous=true");
        serve(get("/other", blocking).header("X-Request-ID", "r"));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertEquals(0, engine.inFlightEntries());
        FakeExchange post = new FakeExchange("POST", "/items/1", quick, runs).header("X-Request-ID", "p");
        engine.handle(post);
        assertEquals("handled", post.how);
        assertEquals(0, engine.inFlightEntries());
    }

    @Test
    void aResponseLargerThanTheBoundIsNotSharedAndTheWaitingAttemptRunsItsOwnHandler() throws Exception {
        configure("tailguard.server.coalesce.paths=/*", "tailguard.server.coalesce.max-response-bytes=4");
        FakeExchange first = get("/big", blocking).header("X-Request-ID", "r").header("Authorization", "a");
        FakeExchange hedge = get("/big", quick).header("X-Request-ID", "r").header("Authorization", "a")
                .header("X-Is-Hedge", "true");
        serve(first);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Thread h = serve(hedge);
        await(() -> engine.concurrency() == 2);
        release.countDown();
        h.join(10_000);
        assertEquals("handled", hedge.how);
        assertEquals(2, runs.get());
    }

    @Test
    void aStreamedResponseIsNotShared() throws Exception {
        configure("tailguard.server.coalesce.paths=/*");
        FakeExchange.Handler streaming = (exchange, response) -> {
            response.send(200, "x");
            response.flush();
            started.countDown();
            assertTrue(release.await(10, TimeUnit.SECONDS));
        };
        serve(get("/s", streaming).header("X-Request-ID", "r").header("Authorization", "a"));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        FakeExchange hedge = get("/s", quick).header("X-Request-ID", "r").header("Authorization", "a");
        Thread h = serve(hedge);
        await(() -> engine.concurrency() == 2);
        release.countDown();
        h.join(10_000);
        assertEquals("handled", hedge.how);
    }

    @Test
    void aWaitingAttemptWhoseClientLeftStopsWaitingAndTheFirstRunsOn() throws Exception {
        configure("tailguard.server.coalesce.paths=/*");
        FakeExchange first = get("/w", blocking).header("X-Request-ID", "r").header("Authorization", "a");
        FakeExchange hedge = get("/w", quick).header("X-Request-ID", "r").header("Authorization", "a");
        Thread f = serve(first);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Thread h = serve(hedge);
        await(() -> engine.concurrency() == 2);
        hedge.gone = true;
        h.join(10_000);
        assertFalse(h.isAlive());
        assertEquals("unanswered", hedge.how);
        assertTrue(f.isAlive(), "the first attempt is not cancelled");
        release.countDown();
        f.join(10_000);
        assertEquals("run 1", first.body);
        assertEquals(1, engine.requests(ServerKind.PRIMARY, ServerOutcome.ABANDONED, false));
    }

    @Test
    void aWaitingAttemptWhoseClientsTimeRunsOutStopsWaitingAndTheFirstRunsOn() throws Exception {
        configure("tailguard.server.coalesce.paths=/*");
        FakeExchange first = get("/w", blocking).header("X-Request-ID", "r").header("Authorization", "a");
        FakeExchange hedge = get("/w", quick).header("X-Request-ID", "r").header("Authorization", "a")
                .header("X-Request-Timeout-Ms", "200").queuedMillis(50);
        Thread f = serve(first);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Thread h = serve(hedge);
        await(() -> engine.concurrency() == 2);
        // 200 ms the client waits, 50 of them spent queued: it gives up 150 ms after it arrived.
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(149));
        h.join(200);
        assertTrue(h.isAlive(), "its client still waits");
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        h.join(10_000);
        assertFalse(h.isAlive());
        assertEquals("rejected", hedge.how);
        assertEquals(503, hedge.status);
        assertEquals(List.of("1"), hedge.responseHeaders.get(ServerEngine.SHED_HEADER));
        assertTrue(f.isAlive(), "the first attempt is not cancelled");
        release.countDown();
        f.join(10_000);
        assertEquals("run 1", first.body);
        assertEquals(1, runs.get());
        assertEquals(1, engine.requests(ServerKind.PRIMARY, ServerOutcome.EXPIRED, false));
    }

    @Test
    void aRequestThatWaitedInTheQueueLongerThanItsClientWaitsIsAnsweredWithoutItsHandler() throws Exception {
        configure("tailguard.server.drop-expired=true");
        assertTrue(engine.active());
        FakeExchange expired = get("/q", quick).header("X-Request-Timeout-Ms", "100").queuedMillis(100);
        engine.handle(expired);
        assertEquals("rejected", expired.how);
        assertEquals(503, expired.status);
        assertEquals(List.of("1"), expired.responseHeaders.get(ServerEngine.SHED_HEADER));
        assertEquals(0, runs.get());
        assertEquals(1, engine.requests(ServerKind.PRIMARY, ServerOutcome.EXPIRED, false));
        for (FakeExchange served : List.of(
                get("/q", quick).header("X-Request-Timeout-Ms", "101").queuedMillis(100),
                get("/q", quick).header("X-Request-Timeout-Ms", "100"),
                get("/q", quick).queuedMillis(5_000),
                get("/q", quick).header("X-Request-Timeout-Ms", "-1").queuedMillis(5_000),
                get("/q", quick).header("X-Request-Timeout-Ms", "1e3").queuedMillis(5_000),
                get("/q", quick).header("X-Request-Timeout-Ms", "9".repeat(10)).queuedMillis(5_000))) {
            engine.handle(served);
            assertEquals("handled", served.how, "a client still waiting, a queue time not known, or no usable tag");
        }
        configure("tailguard.server.shed.max-concurrency=10");
        FakeExchange notConfigured = get("/q", quick).header("X-Request-Timeout-Ms", "100").queuedMillis(200);
        engine.handle(notConfigured);
        assertEquals("handled", notConfigured.how);
    }

    @Test
    void pastTheQueueTimeBoundRetriesAndHedgesAreShedAndOriginalsServed() throws Exception {
        configure("tailguard.server.shed.max-queue-time=100ms");
        assertTrue(engine.active());
        assertRetryAndHedgeShedAndOriginalServed(101, "1");
        FakeExchange quickRetry = get("/q", quick).header("X-Attempt", "2").queuedMillis(100);
        engine.handle(quickRetry);
        assertEquals("handled", quickRetry.how);
        FakeExchange unknownQueue = get("/q", quick).header("X-Attempt", "3");
        engine.handle(unknownQueue);
        assertEquals("handled", unknownQueue.how);
        assertEquals(1, engine.requests(ServerKind.RETRY, ServerOutcome.SHED, false), "no more than before");
    }

    @Test
    void withTheOriginalsBoundSetAnOriginalQueuedPastItIsShedBeforeItsHandler() throws Exception {
        configure("tailguard.server.shed.original-max-queue-time=250ms");
        assertTrue(engine.active());
        for (FakeExchange original : List.of(get("/q", quick).header("X-Attempt", "1").queuedMillis(251),
                get("/q", quick).queuedMillis(251))) {
            engine.handle(original);
            assertEquals("rejected", original.how, "tagged or not, an original past the bound");
            assertEquals(503, original.status);
            assertEquals(List.of("1"), original.responseHeaders.get("Retry-After"));
            assertEquals(List.of("1"), original.responseHeaders.get(ServerEngine.SHED_HEADER));
        }
        assertEquals(0, runs.get());
        assertEquals(2, engine.requests(ServerKind.PRIMARY, ServerOutcome.SHED, false));
        for (FakeExchange served : List.of(get("/q", quick).header("X-Attempt", "1").queuedMillis(250),
                get("/q", quick))) {
            engine.handle(served);
            assertEquals("handled", served.how, "within the bound, or a queue time not known");
        }
        FakeExchange retry = get("/q", quick).header("X-Attempt", "2").queuedMillis(251);
        engine.handle(retry);
        assertEquals("rejected", retry.how, "a retry is refused wherever an original would be");
        assertEquals(1, engine.requests(ServerKind.RETRY, ServerOutcome.SHED, false));
    }

    @Test
    void withoutTheOriginalsBoundAnOriginalIsNeverShedForItsQueueTime() throws Exception {
        configure("tailguard.server.shed.max-queue-time=100ms");
        FakeExchange original = get("/q", quick).queuedMillis(60_000);
        engine.handle(original);
        assertEquals("handled", original.how);
        assertEquals(0, engine.requests(ServerKind.PRIMARY, ServerOutcome.SHED, false));
    }

    @Test
    void retriesAreBoundByTheSmallerOfTheTwoQueueTimeBounds() throws Exception {
        configure("tailguard.server.shed.max-queue-time=500ms", "tailguard.server.shed.original-max-queue-time=200ms");
        FakeExchange retry = get("/q", quick).header("X-Attempt", "2").queuedMillis(201);
        engine.handle(retry);
        assertEquals("rejected", retry.how, "past the originals' bound, under its own");
        FakeExchange hedge = get("/q", quick).header("X-Attempt", "2").header("X-Is-Hedge", "true").queuedMillis(201);
        engine.handle(hedge);
        assertEquals("rejected", hedge.how);
        for (FakeExchange served : List.of(get("/q", quick).header("X-Attempt", "2").queuedMillis(200),
                get("/q", quick).header("X-Attempt", "1").queuedMillis(200))) {
            engine.handle(served);
            assertEquals("handled", served.how, "within both bounds");
        }
        configure("tailguard.server.shed.max-queue-time=100ms", "tailguard.server.shed.original-max-queue-time=200ms");
        FakeExchange early = get("/q", quick).header("X-Attempt", "2").queuedMillis(101);
        engine.handle(early);
        assertEquals("rejected", early.how, "a retry's own bound, when smaller, stays in force");
    }

    @Test
    void inShadowModeAnExpiredRequestAndAnOriginalPastItsBoundAreCountedAndTheirHandlersRun() throws Exception {
        configure("tailguard.mode=shadow", "tailguard.server.drop-expired=true",
                "tailguard.server.shed.original-max-queue-time=100ms");
        FakeExchange expired = get("/q", quick).header("X-Request-Timeout-Ms", "10").queuedMillis(20);
        engine.handle(expired);
        assertEquals("handled", expired.how);
        assertEquals(1, engine.requests(ServerKind.PRIMARY, ServerOutcome.EXPIRED, true));
        FakeExchange original = get("/q", quick).queuedMillis(101);
        engine.handle(original);
        assertEquals("handled", original.how);
        assertEquals(2, runs.get());
        assertEquals(1, engine.requests(ServerKind.PRIMARY, ServerOutcome.SHED, true));
        assertEquals(0, engine.requests(ServerKind.PRIMARY, ServerOutcome.SHED, false));
    }

    @Test
    void aCompletedIdempotencyKeyRequestIsReplayedWithinItsTtlAndRunsAgainAfter() throws Exception {
        configure("tailguard.server.coalesce.paths=/*", "tailguard.server.replay.ttl=10s");
        FakeExchange first = new FakeExchange("POST", "/orders", quick, runs).header("Idempotency-Key", "k1")
                .header("Authorization", "a").header("Content-Length", "5");
        engine.handle(first);
        FakeExchange retry = new FakeExchange("POST", "/orders", quick, runs).header("Idempotency-Key", "k1")
                .header("Authorization", "a").header("Content-Length", "5").header("X-Attempt", "2");
        engine.handle(retry);
        assertEquals("replayed", retry.how);
        assertEquals("run 1", retry.body);
        assertEquals(1, engine.requests(ServerKind.RETRY, ServerOutcome.REPLAYED, false));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(10));
        FakeExchange late = new FakeExchange("POST", "/orders", quick, runs).header("Idempotency-Key", "k1")
                .header("Authorization", "a").header("Content-Length", "5");
        engine.handle(late);
        assertEquals("handled-recorded", late.how);
        assertEquals(2, runs.get());
    }

    @Test
    void anIdempotencyKeyReusedForADifferentRequestIsAnswered422() throws Exception {
        configure("tailguard.server.coalesce.paths=/*", "tailguard.server.replay.ttl=10s");
        engine.handle(new FakeExchange("POST", "/orders", quick, runs).header("Idempotency-Key", "k1")
                .header("Authorization", "a").header("Content-Length", "5"));
        FakeExchange other = new FakeExchange("POST", "/orders", quick, runs).header("Idempotency-Key", "k1")
                .header("Authorization", "a").header("Content-Length", "6");
        engine.handle(other);
        assertEquals("rejected", other.how);
        assertEquals(422, other.status);
        FakeExchange elsewhere = new FakeExchange("POST", "/refunds", quick, runs).header("Idempotency-Key", "k1")
                .header("Authorization", "a").header("Content-Length", "5");
        engine.handle(elsewhere);
        assertEquals(422, elsewhere.status);
        FakeExchange otherCaller = new FakeExchange("POST", "/refunds", quick, runs).header("Idempotency-Key", "k1")
                .header("Authorization", "b").header("Content-Length", "5");
        engine.handle(otherCaller);
        assertEquals("handled-recorded", otherCaller.how, "another caller's key is another key");
        assertEquals(2, runs.get());
    }

    @Test
    void aServerErrorIsNotReplayed() throws Exception {
        configure("tailguard.server.coalesce.paths=/*", "tailguard.server.replay.ttl=10s");
        FakeExchange.Handler failing = (exchange, response) -> response.send(503, "busy");
        engine.handle(new FakeExchange("POST", "/o", failing, runs).header("Idempotency-Key", "k")
                .header("Authorization", "a"));
        FakeExchange retry = new FakeExchange("POST", "/o", quick, runs).header("Idempotency-Key", "k")
                .header("Authorization", "a");
        engine.handle(retry);
        assertEquals("run 2", retry.body);
    }

    @Test
    void atTheConcurrencyLimitRetriesAndHedgesAreShedWithTheSignalAndOriginalsAdmitted() throws Exception {
        configure("tailguard.server.shed.max-concurrency=1", "tailguard.server.shed.retry-after=2s");
        assertTrue(engine.active());
        serve(get("/busy", blocking));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertRetryAndHedgeShedAndOriginalServed(0, "2");
    }

    /**
     * A retry and a hedge, each queued this long, get the shed answer with this {@code Retry-After};
     * an original queued as long is served.
     */
    private void assertRetryAndHedgeShedAndOriginalServed(long queuedMillis, String retryAfter) throws Exception {
        FakeExchange retry = get("/busy", quick).header("X-Attempt", "2").header("X-Is-Hedge", "false")
                .queuedMillis(queuedMillis);
        engine.handle(retry);
        assertEquals("rejected", retry.how);
        assertEquals(503, retry.status);
        assertEquals(List.of(retryAfter), retry.responseHeaders.get("Retry-After"));
        assertEquals(List.of("1"), retry.responseHeaders.get(ServerEngine.SHED_HEADER));
        FakeExchange hedge = get("/busy", quick).header("X-Attempt", "2").header("X-Is-Hedge", "true")
                .queuedMillis(queuedMillis);
        engine.handle(hedge);
        assertEquals(503, hedge.status);
        FakeExchange original = get("/busy", quick).header("X-Attempt", "1").queuedMillis(queuedMillis);
        engine.handle(original);
        assertEquals("handled", original.how);
        assertEquals(1, engine.requests(ServerKind.RETRY, ServerOutcome.SHED, false));
        assertEquals(1, engine.requests(ServerKind.HEDGE, ServerOutcome.SHED, false));
    }

    @Test
    void malformedOrOversizedTagsMakeAnOriginalThatIsNeverShed() throws Exception {
        configure("tailguard.server.shed.max-concurrency=1");
        serve(get("/busy", blocking));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        for (String[] tags : new String[][] {{"two", "maybe"}, {"2x", null}, {"9999", null}, {"0", null},
                {"2".repeat(200), null}, {null, "yes"}}) {
            FakeExchange e = get("/busy", quick);
            if (tags[0] != null) {
                e.header("X-Attempt", tags[0]);
            }
            if (tags[1] != null) {
                e.header("X-Is-Hedge", tags[1]);
            }
            engine.handle(e);
            assertEquals("handled", e.how, String.join(",", String.valueOf(tags[0]), String.valueOf(tags[1])));
        }
    }

    @Test
    void tenThousandDistinctIdsAndOversizedTagsLeaveTheTablesWithinTheirBounds() throws Exception {
        configure("tailguard.server.coalesce.paths=/*", "tailguard.server.replay.ttl=1m",
                "tailguard.server.replay.max-entries=100", "tailguard.server.replay.max-bytes=64k");
        for (int i = 0; i < 10_000; i++) {
            engine.handle(new FakeExchange("POST", "/o", quick, runs).header("Idempotency-Key", "k" + i)
                    .header("Authorization", "a"));
            assertTrue(engine.replayEntries() <= 100);
            assertTrue(engine.replayBytes() <= 64 * 1024);
        }
        assertEquals(100, engine.replayEntries());
        FakeExchange huge = new FakeExchange("POST", "/o", quick, runs).header("Idempotency-Key", "k".repeat(100_000))
                .header("Authorization", "a");
        engine.handle(huge);
        assertEquals("handled", huge.how, "an oversized key is not tracked");
        FakeExchange hugeId = get("/o", quick).header("X-Request-ID", "r".repeat(129)).header("Authorization", "a");
        engine.handle(hugeId);
        assertEquals("handled", hugeId.how);
        FakeExchange controlChars = get("/o", quick).header("X-Request-ID", "r\u0000x").header("Authorization", "a");
        engine.handle(controlChars);
        assertEquals("handled", controlChars.how);
    }

    @Test
    void theInFlightTableIsBoundedAndBeyondItRequestsRunUntracked() throws Exception {
        configure("tailguard.server.coalesce.paths=/*", "tailguard.server.coalesce.max-in-flight=1");
        serve(get("/a", blocking).header("X-Request-ID", "r1").header("Authorization", "a"));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        FakeExchange other = get("/a", quick).header("X-Request-ID", "r2").header("Authorization", "a");
        engine.handle(other);
        assertEquals("handled", other.how);
        assertEquals(1, engine.inFlightEntries());
    }

    @Test
    void shadowModeCountsWhatWouldHaveHappenedAndRunsEveryHandler() throws Exception {
        configure("tailguard.mode=shadow", "tailguard.server.coalesce.paths=/*",
                "tailguard.server.shed.max-concurrency=1");
        FakeExchange first = get("/x", blocking).header("X-Request-ID", "r").header("Authorization", "a");
        serve(first);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        FakeExchange hedge = get("/x", quick).header("X-Request-ID", "r").header("Authorization", "a")
                .header("X-Is-Hedge", "true");
        engine.handle(hedge);
        assertEquals("handled", hedge.how);
        assertEquals(1, engine.requests(ServerKind.HEDGE, ServerOutcome.SHED, true));
        assertEquals(0, engine.requests(ServerKind.HEDGE, ServerOutcome.SHED, false));
    }

    @Test
    void aFailingHandlerPropagatesAndItsWaitersRunTheirOwn() throws Exception {
        configure("tailguard.server.coalesce.paths=/*");
        FakeExchange.Handler failing = (exchange, response) -> {
            throw new IllegalStateException("application bug");
        };
        FakeExchange e = get("/f", failing).header("X-Request-ID", "r").header("Authorization", "a");
        try {
            engine.handle(e);
            throw new AssertionError("expected the handler's exception");
        } catch (IllegalStateException expected) {
            assertEquals("application bug", expected.getMessage());
        }
        assertEquals(0, engine.inFlightEntries());
    }

    @Test
    void aFailureOfTheEnginesOwnBeforeTheHandlerRanRunsTheHandlerAsWithoutTheAgent() throws Exception {
        configure("tailguard.server.coalesce.paths=/*");
        FakeExchange e = get("/x", quick).header("X-Request-ID", "r");
        e.brokenHeaders = true;
        engine.handle(e);
        assertEquals("handled", e.how);
        assertEquals(1, runs.get());
        assertEquals(1, internalFailures.size());
        internalFailures.clear();
    }

    @Test
    void aReloadTurnsTheServerSideOffAndOnAndDropsReplaysWhenTheTtlGoes() throws Exception {
        configure("tailguard.server.coalesce.paths=/*", "tailguard.server.replay.ttl=10s");
        engine.handle(new FakeExchange("POST", "/o", quick, runs).header("Idempotency-Key", "k")
                .header("Authorization", "a"));
        assertEquals(1, engine.replayEntries());
        configure("tailguard.server.coalesce.paths=/*");
        assertTrue(engine.active());
        assertEquals(0, engine.replayEntries());
        configure("tailguard.enabled=false", "tailguard.server.coalesce.paths=/*");
        assertFalse(engine.active());
        configure("tailguard.mode=enforce");
        assertFalse(engine.active());
        configure("tailguard.server.shed.max-concurrency=3");
        assertTrue(engine.active());
    }
}
