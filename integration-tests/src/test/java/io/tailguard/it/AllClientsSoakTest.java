package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Many requests across 64 threads and every client API, with fast, slow, failing and dropped
 * responses, hedging and retries on. The server keeps a ledger by call and body: every call ends
 * with exactly one outcome, Tailguard sends nothing that must not be repeated twice (and the
 * client only where it does so without the agent), no replayed body is altered, and threads, connections and heap come back to where they were.
 *
 * <p>CI runs 20,000 requests; {@code -Dtailguard.soak.requests=200000} runs the full soak.
 */
@Isolated
@Timeout(1_800)
class AllClientsSoakTest {

    private static final int REQUESTS = Integer.getInteger("tailguard.soak.requests", 20_000);
    private static final int THREADS = 64;
    private static final String CLIENTS = "jdk-send,jdk-async,okhttp-execute,okhttp-enqueue,apache4,apache4-async,"
            + "apache5,apache5-async,urlconnection";

    /** A 503 with a body larger than the agent holds by default (64 KiB): committed, not retried. */
    private static final MockResponse LARGE_503 = new MockResponse.Builder().code(503)
            .body("x".repeat(160 * 1024)).build();

    private final Map<String, List<Arrived>> ledger = new ConcurrentHashMap<>();

    /** One arrival of a call: the Tailguard attempt it belongs to, and its body. */
    private record Arrived(String attempt, String body) {
    }

    @Test
    void everyCallEndsOnceNothingUnrepeatableIsSentTwiceAndNothingLeaks() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.soak.hosts=127.0.0.1",
                        "tailguard.policy.soak.retry.max-attempts=3",
                        "tailguard.policy.soak.retry.backoff.initial=5ms",
                        "tailguard.policy.soak.retry.backoff.max=50ms",
                        "tailguard.policy.soak.hedge.delay=60ms",
                        "tailguard.policy.soak.hedge.methods=GET,PUT",
                        "tailguard.policy.soak.attempt-timeout=3s",
                        "tailguard.policy.soak.tagging=true",
                        "tailguard.budget.ratio=0.5",
                        "tailguard.budget.min-per-second=200",
                        "tailguard.metrics.log.interval=0"))
                        .everyClient()
                        .jvmOption("-Xmx512m").start()) {
            server.respondWith(this::respond);

            Map<String, String> warmUp = soak(app, server, 0, 2_000);
            assertEquals("2000", warmUp.get("ended"), warmUp.toString());
            Map<String, String> before = resources(app, server);

            Map<String, String> result = soak(app, server, 2_000, REQUESTS);

            assertEquals(Integer.toString(REQUESTS), result.get("ended"), result.toString());
            assertEquals("0", result.get("extraOutcomes"), "a call reported more than one outcome");
            int outcomes = 0;
            for (Map.Entry<String, String> e : result.entrySet()) {
                if (e.getKey().startsWith("outcome.")) {
                    outcomes += Integer.parseInt(e.getValue());
                }
            }
            assertEquals(REQUESTS, outcomes, "every call has exactly one outcome");
            checkLedger(2_000 + REQUESTS);
            Map<String, String> after = resources(app, server);
            System.out.printf("soak of %d calls on %d threads in %s ms: %s%nresources before %s, after %s%n",
                    REQUESTS, THREADS, result.get("elapsedMs"), outcomesOf(result), before, after);
            assertTrue(num(after, "threads") <= num(before, "threads") + 16, before + " -> " + after);
            // Timer, housekeeping, config watch, and hedge workers that have not yet idled out.
            assertTrue(num(after, "tailguardThreads") <= num(before, "tailguardThreads") + 2, before + " -> " + after);
            assertTrue(num(after, "connections") <= num(before, "connections") + 32, before + " -> " + after);
            assertTrue(num(after, "heapMiB") <= num(before, "heapMiB") + 64, before + " -> " + after);
        }
    }

    /**
     * Behaviour of call n, by n: 503 once, slow once (hedged), dropped once, always 503, a 503 too
     * large to hold (one call in 50), or fast.
     */
    private MockResponse respond(RecordedRequest request) {
        String[] path = request.getUrl().encodedPath().split("/");
        String kind = path[2];
        int n = Integer.parseInt(path[3]);
        String call = request.getHeaders().get("X-App-Call");
        ledger.computeIfAbsent(call, c -> java.util.Collections.synchronizedList(new ArrayList<>()))
                .add(new Arrived(request.getHeaders().get("X-Attempt"),
                        request.getBody() == null ? "" : request.getBody().utf8()));
        boolean firstAttempt = "1".equals(request.getHeaders().get("X-Attempt"));
        boolean repeatable = kind.equals("get") || kind.equals("put");
        if (n % 50 == 4) {
            return LARGE_503;
        }
        switch (n % 10) {
            case 0:
                return firstAttempt ? TestServer.status(503) : TestServer.ok("ok");
            case 1:
                return new MockResponse.Builder().code(200).body("slow")
                        .headersDelay(firstAttempt ? 150 : 0, TimeUnit.MILLISECONDS).build();
            case 2:
                return repeatable && firstAttempt
                        ? new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false))
                                .build()
                        : TestServer.ok("ok");
            case 3:
                return kind.equals("get") ? TestServer.status(503) : TestServer.ok("ok");
            default:
                return TestServer.ok("ok");
        }
    }

    private void checkLedger(int calls) {
        int unrepeatable = 0;
        int neverArrived = 0;
        int repeatedByClient = 0;
        for (int n = 0; n < calls; n++) {
            String kind = kindOf(n);
            List<Arrived> arrivals = ledger.getOrDefault("c" + n, List.of());
            if (arrivals.isEmpty()) {
                // A request written to a pooled connection the server had just closed fails before
                // the server reads it: the client's own failure, reported to the application once.
                neverArrived++;
            }
            for (Arrived arrival : arrivals) {
                if (!kind.equals("get")) {
                    assertEquals("body-c" + n, arrival.body(), "call c" + n + " arrived with an altered body");
                }
            }
            String client = CLIENTS.split(",")[n % CLIENTS.split(",").length];
            if (n % 50 == 4 && !client.startsWith("okhttp") && !client.equals("urlconnection")) {
                // Too large to hold: committed at its headers. A hedge may have left before it
                // arrived, but no retry follows it (that would make three). OkHttp and
                // HttpURLConnection hold nothing, so they retry it.
                assertTrue(arrivals.size() <= 2, "large 503 of call c" + n + " was retried: " + arrivals.size());
            }
            // HttpURLConnection's one-shot body is written in a streaming mode, which Tailguard
            // holds while it is small (as this one is) and may then send again, like a PUT's.
            boolean heldByTailguard = kind.equals("oneshot") && client.equals("urlconnection");
            if (kind.equals("post") || kind.equals("oneshot") && !heldByTailguard) {
                unrepeatable++;
                for (Arrived arrival : arrivals) {
                    assertEquals("1", arrival.attempt(), "call c" + n + " (" + kind + ") was sent again by Tailguard");
                }
                int allowed = clientRepeatsAfter503(n, kind) ? 2 : 1;
                assertTrue(arrivals.size() <= allowed, "call c" + n + " (" + kind + ") was sent " + arrivals.size()
                        + " times");
                if (arrivals.size() > 1) {
                    repeatedByClient++;
                }
            }
        }
        System.out.printf("ledger: %d calls, %d that Tailguard must never repeat were sent by it at most once"
                + " (%d of them sent again by the client's own status retry), %d never arrived%n",
                calls, unrepeatable, repeatedByClient, neverArrived);
    }

    /**
     * Whether the client itself sends call n again, as it does without the agent: Apache 5's
     * default status retry re-sends a POST with a repeatable body once after a 503 (which call
     * n's first attempt gets when n % 10 == 0, and every attempt when n % 50 == 4), whatever its method; Tailguard, which will not
     * retry a POST without Idempotency-Key, leaves that retry to the client, inside attempt 1.
     */
    private static boolean clientRepeatsAfter503(int n, String kind) {
        String[] clients = CLIENTS.split(",");
        String client = clients[n % clients.length];
        return kind.equals("post") && (n % 10 == 0 || n % 50 == 4) && client.startsWith("apache5");
    }

    /** Mirrors the application's Soak.kind. */
    private static String kindOf(int n) {
        int slot = n / 7 % 20;
        return slot < 12 ? "get" : slot < 15 ? "post" : slot < 18 ? "put" : "oneshot";
    }

    private static Map<String, String> soak(AgentedApp app, TestServer server, int first, int count) {
        Map<String, String> arguments = new HashMap<>();
        arguments.put("count", Integer.toString(count));
        arguments.put("first", Integer.toString(first));
        arguments.put("threads", Integer.toString(THREADS));
        arguments.put("clients", CLIENTS);
        arguments.put("base", server.url("/soak"));
        return app.send("soak", arguments, 1_700);
    }

    private static Map<String, String> resources(AgentedApp app, TestServer server) throws InterruptedException {
        Map<String, String> threads = app.send("threads", Map.of(), 30);
        Map<String, String> resources = new java.util.LinkedHashMap<>();
        resources.put("threads", threads.get("live"));
        resources.put("tailguardThreads", threads.get("tailguard"));
        resources.put("connections", Integer.toString(server.clientConnectionsOpen()));
        resources.put("heapMiB", app.send("heap", Map.of(), 30).get("usedMiB"));
        return resources;
    }

    private static int num(Map<String, String> map, String key) {
        return Integer.parseInt(map.get(key));
    }

    private static Map<String, String> outcomesOf(Map<String, String> result) {
        Map<String, String> outcomes = new java.util.TreeMap<>();
        result.forEach((k, v) -> {
            if (k.startsWith("outcome.")) {
                outcomes.put(k.substring(8), v);
            }
        });
        return outcomes;
    }
}
