package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hedging against a server we did not write: the JDK's own {@code com.sun.net.httpserver}, which
 * writes the status line and headers, then the body, without {@code TCP_NODELAY}. Aborting a losing
 * HTTP/1.1 attempt closes its connection; the JDK's pool then holds fewer idle connections, reuses
 * each one sooner after its last response, and against such a server that costs a delayed ACK
 * (40 ms) on requests that were never hedged. So a losing attempt is left to finish and its
 * connection goes back to the pool, as it would without the agent.
 */
@Isolated
@Timeout(120)
class JdkHedgeNagleTest {

    /** How long the primary of {@code /stall} takes: far longer than the hedge delay. */
    private static final long STALL_MILLIS = 1_500;

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.hedge.delay=300ms",
            "tailguard.policy.api.tagging=true")).start();

    private HttpServer server;
    private ExecutorService handlers;
    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    private final CountDownLatch stalledPrimaryAnswered = new CountDownLatch(1);

    /** One request as the server saw it: from which client port, which attempt, which path. */
    private static final class Seen {
        final int clientPort;
        final String attempt;
        final String path;

        Seen(int clientPort, String attempt, String path) {
            this.clientPort = clientPort;
            this.attempt = attempt;
            this.path = path;
        }

        @Override
        public String toString() {
            return path + " attempt " + attempt + " from port " + clientPort;
        }
    }

    @BeforeEach
    void startServer() throws IOException {
        // No -Dsun.net.httpserver.nodelay: Nagle's algorithm stays on, as by default.
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        handlers = Executors.newCachedThreadPool();
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
        handlers.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String attempt = exchange.getRequestHeaders().getFirst("X-Attempt");
        String path = exchange.getRequestURI().getPath();
        seen.add(new Seen(exchange.getRemoteAddress().getPort(), attempt, path));
        boolean stall = path.equals("/stall") && "1".equals(attempt);
        if (stall) {
            try {
                Thread.sleep(STALL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] body = (stall ? "slow" : "fast").getBytes(StandardCharsets.UTF_8);
        try {
            // Two writes: the status line and headers go out here, the body after them.
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } finally {
            if (stall) {
                stalledPrimaryAnswered.countDown();
            }
        }
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void aPrimaryThatLostToItsHedgeIsLeftToFinishAndItsConnectionIsReused(String client) throws Exception {
        Map<String, String> result = app.call(Call.get(client, url("/stall")).option("version", "1.1"));

        assertEquals("200", result.get("status"));
        assertEquals("fast", result.get("body"), "the hedge won");
        assertEquals("false", result.get("interrupted"));
        long elapsed = Long.parseLong(result.get("elapsedMs"));
        assertTrue(elapsed < STALL_MILLIS, "answered by the hedge, not after the stall: " + elapsed + " ms");
        int primaryPort = -1;
        for (Seen s : seen) {
            if ("1".equals(s.attempt)) {
                primaryPort = s.clientPort;
            }
        }
        assertTrue(stalledPrimaryAnswered.await(10, TimeUnit.SECONDS), "the server is done with the stalled primary");

        // The JDK's pool hands out its idle connections oldest first: the hedge's, then the
        // primary's once the client has read and dropped the late answer. Aborted, it would be gone.
        List<String> statuses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            statuses.add(app.call(Call.get(client, url("/next")).option("version", "1.1")).get("status"));
        }
        assertEquals(List.of("200", "200", "200", "200"), statuses);
        Set<Integer> nextPorts = new HashSet<>();
        Set<Integer> allPorts = new HashSet<>();
        for (Seen s : seen) {
            allPorts.add(s.clientPort);
            if (s.path.equals("/next")) {
                nextPorts.add(s.clientPort);
            }
        }
        assertTrue(nextPorts.contains(primaryPort), "the losing primary's connection served later requests: primary "
                + primaryPort + ", later requests on " + nextPorts);
        assertEquals(2, allPorts.size(), "no connection was replaced: " + seen);
        assertEquals(2, seen.stream().filter(s -> s.path.equals("/stall")).count(),
                "one primary and one hedge for /stall: " + seen);
    }
}
