package io.tailguard.it;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests sent through an HTTP proxy (Jetty's), the way applications behind one are configured:
 * the JVM's {@code http.proxyHost} and {@code https.proxyHost}, which the JDK's clients and OkHttp
 * follow by default and Apache's when built with {@code useSystemProperties()}. The servers' host
 * names are ones only the proxy can reach, and the policies name them, not the proxy: a request the
 * agent matched by the proxy's address would be neither retried nor tagged. Over HTTPS the proxy
 * sees only the {@code CONNECT} that opens each tunnel, which must carry no tag; the tagged
 * attempts go through the tunnel, a hedge's too. Over plain HTTP the proxy forwards the attempts
 * themselves. The same holds for a proxy set on the client itself (the JDK client's {@code
 * ProxySelector}, {@code URL.openConnection(Proxy)}, OkHttp's and Apache's {@code proxy}), in an
 * application whose JVM names none.
 */
@Timeout(120)
class ThroughProxyTest {

    private static final String HOST = "backend.tailguard.test";
    /** A host whose policy hedges after 100 ms. */
    private static final String HEDGED = "search.tailguard.test";
    private static final List<String> TAGS = List.of("X-Request-ID", "X-Attempt", "X-Is-Hedge", "X-Request-Timeout-Ms");

    private static final SelfSignedTls TLS = SelfSignedTls.create(HOST, HEDGED);
    @AutoClose
    private static final ForwardProxy proxy = ForwardProxy.start(HOST, HEDGED);
    private static final String CONFIG = String.join("\n",
            "tailguard.policy.backend.hosts=" + HOST,
            "tailguard.policy.backend.tagging=true",
            "tailguard.policy.backend.retry.timeout=10s",
            "tailguard.policy.backend.retry.backoff.initial=10ms",
            "tailguard.policy.search.hosts=" + HEDGED,
            "tailguard.policy.search.tagging=true",
            "tailguard.policy.search.hedge.delay=100ms");
    private static final AgentedApp app = proxy.application(AgentedApp.withConfig(CONFIG).trusting(TLS).everyClient());
    /** The same application, its JVM naming no proxy: its clients are each given the proxy. */
    @AutoClose
    private static final AgentedApp proxiedByItsClients = AgentedApp.withConfig(CONFIG).trusting(TLS).everyClient().start();

    @BeforeEach
    void forgetEarlierRequests() {
        proxy.clear();
    }

    /** Every client API, with the proxy named by the JVM's settings and set on the client itself. */
    static Stream<Arguments> everyClientApiAndProxySetting() {
        return AgentedApp.everyClientApiWith("jvm", "client");
    }

    @ParameterizedTest
    @MethodSource("everyClientApiAndProxySetting")
    void overHttpsTheAttemptsGoTaggedThroughTheTunnelAndTheConnectCarriesNoTag(String client, String proxySetting)
            throws Exception {
        try (TestServer server = new TestServer(TLS.serverSockets())) {
            server.enqueue(new MockResponse.Builder().code(502).body("bad gateway").build(), ok("through the tunnel"));

            Map<String, String> result = call(proxySetting,
                    Call.get(client, "https://" + HOST + ":" + server.port() + "/item"));

            assertEquals("200", result.get("status"), result.toString());
            assertEquals("through the tunnel", result.get("body"));
            assertRetriedWithTags(server);
            assertOnlyUntaggedTunnelsTo(HOST + ":" + server.port());
        }
    }

    @ParameterizedTest
    @MethodSource("everyClientApiAndProxySetting")
    void overPlainHttpTheProxyForwardsEachTaggedAttempt(String client, String proxySetting) throws Exception {
        try (TestServer server = new TestServer()) {
            server.enqueue(new MockResponse.Builder().code(502).body("bad gateway").build(), ok("forwarded"));

            Map<String, String> result = call(proxySetting,
                    Call.get(client, "http://" + HOST + ":" + server.port() + "/item"));

            assertEquals("200", result.get("status"), result.toString());
            assertEquals("forwarded", result.get("body"));
            assertRetriedWithTags(server);
            assertForwardedEachAttempt(server);
        }
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void overHttpsAHedgeGoesThroughTheProxyAndItsAnswerWins(String client) throws Exception {
        try (TestServer server = new TestServer(TLS.serverSockets())) {
            server.respondWith(request -> "true".equals(request.getHeaders().get("X-Is-Hedge"))
                    ? ok("hedge")
                    : new MockResponse.Builder().code(200).body("primary").headersDelay(5, TimeUnit.SECONDS).build());

            Map<String, String> result = app.call(Call.get(client, "https://" + HEDGED + ":" + server.port() + "/find")
                    .option("systemProperties", "on"));

            assertEquals("200", result.get("status"), result.toString());
            assertEquals("hedge", result.get("body"));
            long elapsed = Long.parseLong(result.get("elapsedMs"));
            assertTrue(elapsed < 2_500, "answered after the hedge delay, not the 5 s stall: " + elapsed + " ms");
            // The primary's tunnel and handshake may outlast the hedge delay: the hedge may arrive first.
            server.takePrimaryAndHedge();
            assertOnlyUntaggedTunnelsTo(HEDGED + ":" + server.port());
        }
    }

    /**
     * The call, made by the application whose JVM names the proxy ({@code jvm}; Apache's clients
     * built with {@code useSystemProperties()}) or by the one whose client is given it ({@code client}).
     */
    private static Map<String, String> call(String proxySetting, Call call) throws Exception {
        return "jvm".equals(proxySetting) ? app.call(call.option("systemProperties", "on"))
                : proxiedByItsClients.call(call.option("proxy", "127.0.0.1:" + proxy.port()));
    }

    /** The proxy forwarded the call's two attempts, in order, and was sent nothing else. */
    private static void assertForwardedEachAttempt(TestServer server) {
        List<ForwardProxy.Seen> seen = proxy.seen();
        assertEquals(List.of("1", "2"), seen.stream().map(request -> request.headers.get("X-Attempt"))
                .collect(Collectors.toList()), "the proxy was sent each attempt: " + seen);
        for (ForwardProxy.Seen request : seen) {
            assertEquals("GET", request.method);
            assertEquals("http://" + HOST + ":" + server.port() + "/item", request.target);
        }
    }

    /** The proxy was sent {@code CONNECT}s to {@code target} and nothing else, and none carried a tag. */
    private static void assertOnlyUntaggedTunnelsTo(String target) {
        List<ForwardProxy.Seen> seen = proxy.seen();
        assertFalse(seen.isEmpty(), "the requests went through the proxy");
        for (ForwardProxy.Seen request : seen) {
            assertEquals("CONNECT", request.method, "over HTTPS the proxy sees tunnels only: " + seen);
            assertEquals(target, request.target);
            for (String tag : TAGS) {
                assertNull(request.headers.get(tag), "the CONNECT carries no " + tag + ": " + request);
            }
        }
    }

    /** The server saw two attempts of one request, each tagged once, the second a retry. */
    private static void assertRetriedWithTags(TestServer server) throws InterruptedException {
        Arrival first = server.take();
        Arrival second = server.take();
        assertEquals(2, server.requestCount());
        assertEquals("1", first.header("X-Attempt"));
        assertEquals("2", second.header("X-Attempt"));
        assertEquals("false", second.header("X-Is-Hedge"));
        TestServer.oneRequestId(List.of(first, second));
        for (Arrival arrival : List.of(first, second)) {
            for (String tag : TAGS) {
                assertEquals(1, arrival.request.getHeaders().values(tag).size(), tag + " once: " + arrival.request.getHeaders());
            }
        }
    }
}
