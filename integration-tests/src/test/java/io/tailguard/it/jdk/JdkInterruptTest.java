package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An interrupted application thread ends the request promptly, as {@code HttpClient.send} would. */
@Timeout(120)
class JdkInterruptTest {

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            // Far enough past the 503 of the backoff test that a loaded machine does not hedge it first,
            // and before the interrupt at 400 ms of the test that waits on a hedge.
            "tailguard.policy.api.hedge.delay=250ms",
            "tailguard.policy.api.tagging=true")).start();

    @Test
    void anInterruptDuringBackoffEndsTheRequestAndNoRetryFollows() throws Exception {
        try (TestServer server = new TestServer()) {
            server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "2").build(),
                    TestServer.ok("too late"));

            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item"))
                    .option("interruptAfterMs", "300"));

            assertEquals(InterruptedException.class.getName(), result.get("error"), result.toString());
            assertEquals("false", result.get("interrupted"), "like send: the flag is cleared by the exception");
            assertTrue(Long.parseLong(result.get("elapsedMs")) < 1_500, result.toString());
            server.take();
            // The retry would have left 2 s after the 503. Absence can only be shown by waiting
            // past that moment.
            Thread.sleep(2_500);
            assertEquals(1, server.requestCount(), "no retry is left running");
        }
    }

    @Test
    void anInterruptWhileWaitingOnAHedgeCancelsBothAttempts() throws Exception {
        try (TestServer server = new TestServer()) {
            server.respondWith(request -> new MockResponse.Builder().code(200).body("slow")
                    .headersDelay(3, TimeUnit.SECONDS).build());

            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item")).option("version", "1.1")
                    .option("interruptAfterMs", "400"));

            assertEquals(InterruptedException.class.getName(), result.get("error"), result.toString());
            assertEquals("false", result.get("interrupted"), "like send: the flag is cleared by the exception");
            assertTrue(Long.parseLong(result.get("elapsedMs")) < 2_000, result.toString());
            JdkHedgeTest.awaitTrue(() -> server.requestCount() == 2, 5_000);
            // Both the primary and the hedge were cancelled: the client holds no connection open.
            JdkHedgeTest.awaitTrue(() -> server.clientConnectionsOpen() == 0, 5_000);
        }
    }
}
