package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Hostile responses: no crash, no unbounded wait, no retry loop beyond the configured limits. */
@Timeout(120)
class JdkHostileServerTest {

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.timeout=5s",
            "tailguard.policy.api.attempt-timeout=1s",
            "tailguard.policy.api.retry.backoff.initial=10ms",
            "tailguard.policy.api.tagging=true")).start();

    @Test
    void aGarbageStatusLineIsTheClientsOwnErrorAndIsNotRetried() throws Exception {
        try (TestServer server = new TestServer()) {
            server.respondWith(request -> new MockResponse.Builder().status("HTTP/1.1 TWO HUNDRED").build());

            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item")).option("version", "1.1"));

            assertNotNull(result.get("error"), result.toString());
            assertEquals(1, server.requestCount(), "a protocol error is not transient");
        }
    }

    @Test
    void aHugeRetryAfterEndsTheRequestAtOnce() throws Exception {
        try (TestServer server = new TestServer()) {
            server.respondWith(request -> new MockResponse.Builder().code(503)
                    .setHeader("Retry-After", "99999999999999999999").build());

            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item")));

            assertEquals("503", result.get("status"));
            assertTrue(Long.parseLong(result.get("elapsedMs")) < 2_000, result.toString());
            assertEquals(1, server.requestCount());
        }
    }

    @Test
    void negativeAndMalformedRetryAfterFallBackToTheComputedBackoff() throws Exception {
        for (String value : new String[] {"-5", "Thu, 99 Foo 2026 25:61:61 GMT", "soon"}) {
            try (TestServer server = new TestServer()) {
                server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", value).build(),
                        TestServer.ok("fine"));

                Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item")));

                assertEquals("200", result.get("status"), value);
                assertTrue(Long.parseLong(result.get("elapsedMs")) < 2_000, result.toString());
                assertEquals(2, server.requestCount());
            }
        }
    }

    @Test
    void endlessHeadersAreCutOffByTheAttemptTimeoutAndAttemptsStayBounded() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Thread acceptor = new Thread(() -> {
                while (!listener.isClosed()) {
                    try {
                        Socket socket = listener.accept();
                        connections.incrementAndGet();
                        Thread writer = new Thread(() -> endlessHeaders(socket));
                        writer.setDaemon(true);
                        writer.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();

            Map<String, String> result = app.call(Call.get("jdk-send",
                    "http://127.0.0.1:" + listener.getLocalPort() + "/endless").option("version", "1.1"));

            assertNotNull(result.get("error"), result.toString());
            long elapsed = Long.parseLong(result.get("elapsedMs"));
            assertTrue(elapsed < 8_000, "bounded by the attempt timeout and retry.timeout: " + elapsed + " ms");
            assertTrue(connections.get() <= 3, "at most retry.max-attempts attempts: " + connections.get());
        }
    }

    private static void endlessHeaders(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            in.read(buffer);
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; ; i++) {
                out.write(("X-Junk-" + i + ": " + "y".repeat(100) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(1);
            }
        } catch (IOException | InterruptedException gone) {
            // the client gave up, as it should
        }
    }
}
