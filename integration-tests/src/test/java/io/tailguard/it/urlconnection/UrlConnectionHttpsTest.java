package io.tailguard.it.urlconnection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.SelfSignedTls;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HTTPS through {@code HttpsURLConnection}, against a server with a self-signed certificate the
 * application trusts: the application's object forwards to the JDK's delegate, whose exchange
 * Tailguard runs.
 */
@Timeout(120)
class UrlConnectionHttpsTest {

    private static final SelfSignedTls TLS = SelfSignedTls.create();
    private static AgentedApp app;
    /** A server whose port has a policy of its own that hedges. */
    private static MockWebServer hedged;
    private MockWebServer server;

    @BeforeAll
    static void selfSignedCertificateAndApp() throws Exception {
        hedged = httpsServer();
        app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.retry.backoff.initial=10ms",
                        "tailguard.policy.api.retry.backoff.max=50ms",
                        "tailguard.policy.api.tagging=true",
                        "tailguard.policy.hedged.hosts=127.0.0.1:" + hedged.getPort(),
                        "tailguard.policy.hedged.hedge.delay=100ms",
                        "tailguard.policy.hedged.tagging=true"))
                .trusting(TLS).start();
    }

    @AfterAll
    static void stopApp() throws Exception {
        try {
            assertEquals(List.of(), app.agentProblems(), app.stderr());
        } finally {
            app.close();
            hedged.close();
        }
    }

    @BeforeEach
    void startServer() throws Exception {
        server = httpsServer();
    }

    private static MockWebServer httpsServer() throws Exception {
        MockWebServer server = new MockWebServer();
        server.useHttps(TLS.serverSockets());
        server.start(InetAddress.getByName("127.0.0.1"), 0);
        return server;
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    @Test
    void retriesAnHttpsGetOn503AndTagsBothAttempts() throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).body("busy").build());
        server.enqueue(new MockResponse.Builder().code(200).addHeader("X-Answer", "winner").body("secure").build());

        Map<String, String> result = app.call(Call.get("urlconnection", "https://127.0.0.1:" + server.getPort() + "/item")
                .option("readHeader", "X-Answer"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("secure", result.get("body"));
        assertEquals("winner", result.get("header"));
        RecordedRequest one = server.takeRequest(10, TimeUnit.SECONDS);
        RecordedRequest two = server.takeRequest(10, TimeUnit.SECONDS);
        assertNotNull(one);
        assertNotNull(two);
        assertEquals("1", one.getHeaders().get("X-Attempt"));
        assertEquals("2", two.getHeaders().get("X-Attempt"));
        assertEquals(one.getHeaders().get("X-Request-ID"), two.getHeaders().get("X-Request-ID"));
        assertEquals(2, server.getRequestCount());
    }

    @Test
    void anHttps503ThatStaysReadsAsWithoutTheAgent() throws Exception {
        for (int i = 1; i <= 3; i++) {
            server.enqueue(new MockResponse.Builder().code(503).body("busy " + i).build());
        }

        Map<String, String> result = app.call(Call.get("urlconnection", "https://127.0.0.1:" + server.getPort() + "/item"));

        assertEquals("503", result.get("status"), result.toString());
        assertEquals("busy 3", result.get("body"));
        assertEquals(3, server.getRequestCount());
    }

    @Test
    void aSlowHttpsPrimaryIsHedgedAndTheApplicationSeesTheHedgesAnswer() throws Exception {
        // Recorded as they arrive: the primary is never answered, and MockWebServer records a
        // request only once its response went out.
        BlockingQueue<RecordedRequest> arrivals = new LinkedBlockingQueue<>();
        hedged.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                arrivals.add(request);
                return "true".equals(request.getHeaders().get("X-Is-Hedge"))
                        ? new MockResponse.Builder().code(200).addHeader("X-Answer", "hedge").body("fast").build()
                        : new MockResponse.Builder().code(200).body("slow").headersDelay(5, TimeUnit.SECONDS).build();
            }
        });

        Map<String, String> result = app.call(Call.get("urlconnection", "https://127.0.0.1:" + hedged.getPort() + "/item")
                .option("readHeader", "X-Answer"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("fast", result.get("body"));
        assertEquals("hedge", result.get("header"));
        assertTrue(Long.parseLong(result.get("elapsedMs")) < 3_000, result.toString());
        RecordedRequest one = arrivals.poll(10, TimeUnit.SECONDS);
        RecordedRequest two = arrivals.poll(10, TimeUnit.SECONDS);
        assertNotNull(one);
        assertNotNull(two);
        assertEquals(one.getHeaders().get("X-Request-ID"), two.getHeaders().get("X-Request-ID"));
        assertNotEquals(one.getHeaders().get("X-Is-Hedge"), two.getHeaders().get("X-Is-Hedge"));
        assertNull(arrivals.poll());
    }
}
