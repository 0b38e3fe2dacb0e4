package io.tailguard.it;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
 * Plain HTTP requests through a proxy that asks for credentials ({@code 407} with a Basic
 * challenge), which the application's client answers with the ones it was given: the JDK's
 * {@code Authenticator}, OkHttp's {@code proxyAuthenticator}, Apache's credentials provider. The
 * client's answer belongs to the attempt it answers for and carries its tags, and a retry goes
 * through the proxy with the credentials again, for every client API. (Over HTTPS the JDK's
 * clients do not answer a proxy's Basic challenge to a {@code CONNECT} unless
 * {@code jdk.http.auth.tunneling.disabledSchemes} allows it; that is not covered here.)
 */
@Timeout(120)
class ThroughAuthenticatingProxyTest {

    private static final String HOST = "accounts.tailguard.test";
    private static final String CREDENTIALS = "gateway:open-sesame";

    @AutoClose
    private static final ForwardProxy proxy = ForwardProxy.requiring(CREDENTIALS, HOST);
    private static final AgentedApp app = proxy.application(AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.accounts.hosts=" + HOST,
            "tailguard.policy.accounts.tagging=true",
            "tailguard.policy.accounts.retry.backoff.initial=10ms")).everyClient());

    @BeforeEach
    void forgetEarlierRequests() {
        proxy.clear();
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void theProxysChallengeIsAnsweredWithinTheAttemptAndTheRetryGoesThroughWithTheCredentials(String client)
            throws Exception {
        try (TestServer server = new TestServer()) {
            server.enqueue(new MockResponse.Builder().code(502).body("bad gateway").build(), ok("through the proxy"));

            Map<String, String> result = app.call(Call.get(client, "http://" + HOST + ":" + server.port() + "/item")
                    .option("systemProperties", "on").option("proxyCredentials", CREDENTIALS).timeoutMs(5_000));

            assertEquals("200", result.get("status"), result.toString());
            assertEquals("through the proxy", result.get("body"));
            Arrival first = server.take();
            Arrival second = server.take();
            assertEquals(2, server.requestCount());
            assertEquals(List.of("1", "2"), List.of(first.header("X-Attempt"), second.header("X-Attempt")));
            String id = TestServer.oneRequestId(List.of(first, second));
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
}
