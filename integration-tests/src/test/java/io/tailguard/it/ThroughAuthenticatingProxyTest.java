package io.tailguard.it;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests through a proxy that asks for credentials ({@code 407} with a Basic challenge), which
 * the application's client answers with the ones it was given: the JDK's {@code Authenticator},
 * OkHttp's {@code proxyAuthenticator}, Apache's credentials provider. Over plain HTTP the
 * client's answer belongs to the attempt it answers for and carries its tags, and a retry goes
 * through the proxy with the credentials again. Over HTTPS the proxy challenges the {@code
 * CONNECT} that opens a tunnel, the client answers it, and the attempts go tagged through the
 * tunnel while no {@code CONNECT} carries a tag. Every client API, both ways. (The JDK's clients
 * answer a Basic challenge to a {@code CONNECT} only where {@code
 * jdk.http.auth.tunneling.disabledSchemes} allows it, as this application's JVM does.)
 */
@Timeout(120)
class ThroughAuthenticatingProxyTest {

    private static final String HOST = "accounts.tailguard.test";
    private static final String CREDENTIALS = "gateway:open-sesame";
    private static final List<String> TAGS = List.of("X-Request-ID", "X-Attempt", "X-Is-Hedge", "X-Request-Timeout-Ms");

    private static final SelfSignedTls TLS = SelfSignedTls.create(HOST);

    @AutoClose
    private static final ForwardProxy proxy = ForwardProxy.requiring(CREDENTIALS, HOST);
    private static final AgentedApp app = proxy.application(AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.accounts.hosts=" + HOST,
            "tailguard.policy.accounts.tagging=true",
            "tailguard.policy.accounts.retry.backoff.initial=10ms"))
            .jvmOption("-Djdk.http.auth.tunneling.disabledSchemes=").trusting(TLS).everyClient());

    @BeforeEach
    void forgetEarlierRequests() {
        proxy.clear();
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void theProxysChallengeIsAnsweredWithinTheAttemptAndTheRetryGoesThroughWithTheCredentials(String client)
            throws Exception {
        try (TestServer server = new TestServer()) {
            List<Arrival> attempts = retriedThroughTheProxy(client, "http", server);

            String id = TestServer.oneRequestId(attempts);
            // Whether an attempt is challenged before its credentials go is the client's: the JDK's
            // clients keep a proxy's credentials once asked and send them at once, the others wait.
            List<ForwardProxy.Seen> seen = proxy.seen();
            List<ForwardProxy.Seen> forwarded = seen.stream()
                    .filter(request -> request.headers.get("Proxy-Authorization") != null).collect(Collectors.toList());
            assertEquals(List.of("1", "2"), forwarded.stream().map(request -> request.headers.get("X-Attempt"))
                    .collect(Collectors.toList()), "each attempt went through with the credentials: " + seen);
            assertNull(seen.get(0).headers.get("Proxy-Authorization"), "the proxy challenged the first: " + seen);
            for (ForwardProxy.Seen request : seen) {
                assertEquals(id, request.headers.get("X-Request-ID"), "every request to the proxy is the call's: " + seen);
                assertEquals("http://" + HOST + ":" + server.port() + "/item", request.target);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void overHttpsTheChallengeToTheTunnelIsAnsweredAndTheTaggedAttemptsGoThroughIt(String client) throws Exception {
        try (TestServer server = new TestServer(TLS.serverSockets())) {
            List<Arrival> attempts = retriedThroughTheProxy(client, "https", server);

            TestServer.oneRequestId(attempts);
            for (Arrival arrival : attempts) {
                for (String tag : TAGS) {
                    assertEquals(1, arrival.request.getHeaders().values(tag).size(), tag + " once: " + arrival.request.getHeaders());
                }
                assertNull(arrival.header("Proxy-Authorization"), "the proxy's credentials stay with the proxy");
            }
            // The proxy opens a tunnel only for a CONNECT with the credentials. OkHttp asks its proxy
            // authenticator for them before it sends the first; the others wait to be challenged.
            List<ForwardProxy.Seen> seen = proxy.seen();
            if (!client.startsWith("okhttp")) {
                assertNull(seen.get(0).headers.get("Proxy-Authorization"), "the proxy challenged the first: " + seen);
            }
            assertTrue(seen.stream().anyMatch(request -> request.headers.get("Proxy-Authorization") != null),
                    "a CONNECT carried the credentials: " + seen);
            for (ForwardProxy.Seen request : seen) {
                assertEquals("CONNECT", request.method, "over HTTPS the proxy sees tunnels only: " + seen);
                assertEquals(HOST + ":" + server.port(), request.target);
                for (String tag : TAGS) {
                    assertNull(request.headers.get(tag), "the CONNECT carries no " + tag + ": " + request);
                }
            }
        }
    }

    /**
     * One call through the proxy with its credentials, its first attempt answered 502 and the retry
     * 200: the application got the retry's answer, and the server saw the two attempts, in order.
     */
    private static List<Arrival> retriedThroughTheProxy(String client, String scheme, TestServer server)
            throws Exception {
        server.enqueue(new MockResponse.Builder().code(502).body("bad gateway").build(), ok("through the proxy"));

        Map<String, String> result = app.call(Call.get(client, scheme + "://" + HOST + ":" + server.port() + "/item")
                .option("systemProperties", "on").option("proxyCredentials", CREDENTIALS).timeoutMs(5_000));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("through the proxy", result.get("body"));
        List<Arrival> attempts = List.of(server.take(), server.take());
        assertEquals(2, server.requestCount());
        assertEquals(List.of("1", "2"), List.of(attempts.get(0).header("X-Attempt"), attempts.get(1).header("X-Attempt")));
        return attempts;
    }
}
