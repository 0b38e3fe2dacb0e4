package io.tailguard.it.apache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.SelfSignedTls;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HttpClient 5 async over HTTPS, against a server that offers HTTP/2 by ALPN. A losing attempt
 * whose request went out over HTTP/1.1 is aborted, and its connection leaves the pool at once. Over
 * HTTP/2 the pool may share one connection between exchanges (its message multiplexing), the
 * winner's among them, and aborting the loser the client's way would close it: there the loser is
 * left to finish, and the winner's answer, still streaming on the same connection, arrives whole.
 */
@Timeout(120)
class Apache5AsyncHttpsTest {

    private static final SelfSignedTls TLS = SelfSignedTls.create();
    private static final String HEDGE_BODY = "h".repeat(64 * 1024);

    @AutoClose
    private static final AgentedApp app = ApacheApps.startTrusting(TLS,
            ApacheApps.POLICY + "hosts=127.0.0.1",
            ApacheApps.POLICY + "hedge.delay=50ms",
            ApacheApps.POLICY + "tagging=true");

    @AutoClose
    private final TestServer server = new TestServer(TLS.serverSockets());

    /** The primary answers after {@code primaryMillis}; the hedge at once, its body in slow pieces. */
    private void slowPrimaryQuickHedge(long primaryMillis) {
        server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                ? new MockResponse.Builder().code(200).body(HEDGE_BODY)
                        .throttleBody(8 * 1024, 25, TimeUnit.MILLISECONDS).build()
                : new MockResponse.Builder().code(200).body("slow primary")
                        .headersDelay(primaryMillis, TimeUnit.MILLISECONDS).build());
    }

    private Call call(String path, String version, String multiplexing) {
        return Call.get("apache5-async", server.url(path)).option("version", version)
                .option("multiplexing", multiplexing);
    }

    /**
     * A first call opens the connection, and the pool has it back before the test's call, whose
     * primary then takes it at once: the case where the client's own cancel does nothing.
     */
    private void warmUp(String version, String multiplexing) throws InterruptedException {
        app.call(call("/warm-up", version, multiplexing));
        assertEquals(0, ApacheApps.leasedWhenSettled(app, "apache5-async",
                Map.of("version", version, "multiplexing", multiplexing)));
        server.drain();
    }

    @Test
    void overHttp2OnASharedConnectionTheLoserIsLeftToFinishAndTheWinnersAnswerArrivesWhole() throws Exception {
        warmUp("negotiate", "on");
        slowPrimaryQuickHedge(2_000);

        Map<String, String> result = app.call(call("/item", "negotiate", "on"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals(HEDGE_BODY, result.get("body"));
        Arrival first = server.take();
        Arrival second = server.take();
        assertEquals("HTTP/2", first.request.getVersion());
        assertEquals("HTTP/2", second.request.getVersion());
        // The premise: both attempts on the connection the warm-up opened.
        assertEquals(first.request.getConnectionIndex(), second.request.getConnectionIndex());
        // The primary, left running, answers in the end, and the connection serves the next call.
        assertEquals("200", app.call(call("/after", "negotiate", "on")).get("status"));
    }

    @Test
    void overHttps1TheLosingPrimaryIsAbortedAndItsConnectionFreed() throws Exception {
        warmUp("1.1", "off");
        slowPrimaryQuickHedge(20_000);

        Map<String, String> result = app.call(call("/item", "1.1", "off"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals(HEDGE_BODY, result.get("body"));
        assertEquals("HTTP/1.1", server.take().request.getVersion());
        // Within 5 s: the primary, left running, would hold its connection for 20 s.
        assertEquals(0, ApacheApps.leasedWhenSettled(app, "apache5-async",
                Map.of("version", "1.1", "multiplexing", "off")));
    }
}
