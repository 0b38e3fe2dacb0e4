package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tailguard.it.TestServer.Arrival;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Blocking calls made from virtual threads (Java 21 and later), fifty at once on a machine of two
 * cores: every one is retried or hedged as from a platform thread and ends once, and waiting out a
 * backoff or for a hedge holds no carrier thread. The server fails every other first attempt with
 * a 503, retried after a backoff of up to a second (half a second on average), and stalls one in
 * four for a second, which a hedge after 100 ms answers. Were each wait to hold one of the two
 * carriers, the hundred calls would take over twelve seconds (13 to 17 on two platform threads);
 * they take about one and a half.
 */
@Timeout(180)
class VirtualThreadsTest {

    private static final int CALLS = 100;

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.hedge.delay=100ms",
            "tailguard.policy.api.retry.backoff.initial=1s",
            "tailguard.policy.api.retry.backoff.max=1s",
            "tailguard.policy.api.retry.backoff.adaptive=false",
            "tailguard.policy.api.tagging=true",
            // fifty retries and twenty-five hedges in a second or two: more than the default reserve grants
            "tailguard.budget.min-per-second=10000")).everyClient().start();

    @AutoClose
    private final TestServer server = new TestServer();

    @AfterAll
    static void agentReportedNoProblem() {
        assertEquals(List.of(), app.agentProblems(), app.stderr());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "urlconnection", "okhttp-execute", "apache4", "apache5"})
    void callsFromVirtualThreadsAreRetriedAndHedgedWithoutHoldingACarrier(String client) throws Exception {
        assumeTrue(Runtime.Version.parse(app.javaVersion()).feature() >= 21, "virtual threads: Java 21 and later");
        Map<String, String> arguments = new HashMap<>();
        arguments.put("client", client);
        arguments.put("url", server.url("/virtual"));
        arguments.put("count", Integer.toString(CALLS));
        arguments.put("threads", "50");
        arguments.put("virtual", "true");
        // Apache's pools (2 and 5 connections a route by default) would queue the calls, not the
        // threads; and a hedge goes out only when the pool has a connection for it at once. Fifty
        // primaries, their retries and up to twenty-five hedges can hold 100 at a time.
        arguments.put("pool", "128");
        // The client's first calls in this JVM run cold, fifty threads starting at once on two
        // cores: an Apache hedge may then wait longer than the 10 ms it may wait for a pooled
        // connection, and is not sent (README, "Pools and hedging"). Each client runs once first.
        server.respondWith(request -> TestServer.ok("warm-up"));
        assertEquals(Integer.toString(CALLS), app.send("load", arguments, 120).get("outcome.200"));
        server.drain();

        AtomicInteger primaries = new AtomicInteger();
        Map<String, String> answers = new ConcurrentHashMap<>();
        server.respondWith(request -> {
            if (!"1".equals(request.getHeaders().get("X-Attempt"))) {
                return TestServer.ok("later attempt");
            }
            int primary = primaries.incrementAndGet();
            String id = String.valueOf(request.getHeaders().get("X-Request-ID"));
            if (primary % 2 == 1) {
                answers.put(id, "primary " + primary + ": 503");
                return TestServer.status(503);
            }
            if (primary % 4 == 2) {
                answers.put(id, "primary " + primary + ": stalled");
                return new MockResponse.Builder().code(200).body("slow primary").headersDelay(1, TimeUnit.SECONDS).build();
            }
            answers.put(id, "primary " + primary + ": ok");
            return TestServer.ok("primary");
        });

        Map<String, String> outcome = app.send("load", arguments, 120);

        assertEquals(Integer.toString(CALLS), outcome.get("outcome.200"), outcome.toString());
        long elapsed = Long.parseLong(outcome.get("elapsedMs"));
        assertTrue(elapsed < 8_000, "no carrier held while a call waits: " + elapsed + " ms");
        int retries = 0;
        int hedges = 0;
        Map<String, List<String>> attempts = new TreeMap<>();
        for (Arrival arrival : server.drain()) {
            boolean hedge = "true".equals(arrival.header("X-Is-Hedge"));
            attempts.computeIfAbsent(String.valueOf(arrival.header("X-Request-ID")), id -> new ArrayList<>())
                    .add("attempt " + arrival.header("X-Attempt") + (hedge ? " (hedge)" : ""));
            if (hedge) {
                hedges++;
            } else if (!"1".equals(arrival.header("X-Attempt"))) {
                retries++;
            }
        }
        // The requests the server saw once, other than a primary answered at once: what a failure
        // needs to be read (which attempt arrived, and what the primary got if it arrived).
        StringBuilder once = new StringBuilder();
        attempts.forEach((id, seenAttempts) -> {
            String answer = answers.getOrDefault(id, "no primary");
            if (seenAttempts.size() == 1 && !answer.endsWith(": ok")) {
                once.append("; ").append(id).append(": ").append(seenAttempts.get(0)).append(", ").append(answer);
            }
        });
        String seen = retries + " retries, " + hedges + " hedges; " + outcome + "; requests with one attempt"
                + (once.length() == 0 ? ": none" : once.toString());
        // A 503 may come later than the hedge delay, whose hedge then answers instead of a retry.
        assertTrue(retries + hedges >= CALLS * 3 / 4, "a second attempt for every 503 and every stalled primary: "
                + seen);
        assertTrue(hedges >= CALLS / 4, "every stalled primary hedged: " + seen);
    }
}
