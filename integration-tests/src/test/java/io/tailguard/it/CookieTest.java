package io.tailguard.it;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.it.TestServer.Arrival;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A cookie that a server sets on an answer the agent retries (a load balancer's stickiness cookie
 * on its 503, say) is kept by the application's client as it would be without the agent: the
 * retry carries it, and so do the application's later requests. The clients' own cookie handling
 * does it, which the agent's attempts go through: the JDK client's {@code CookieManager},
 * {@code HttpURLConnection}'s {@code CookieHandler}, OkHttp's {@code CookieJar}, and the cookie
 * store of Apache's clients, which the Apache adapters' attempt contexts read through to. Over
 * plain HTTP/1.1 and over HTTPS, where the server offers HTTP/2 first (the JDK client, OkHttp and
 * Apache's 5 async client take it).
 */
@Timeout(120)
class CookieTest {

    private static final SelfSignedTls TLS = SelfSignedTls.create();
    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.tagging=true",
            "tailguard.policy.api.retry.backoff.initial=10ms"))
            .trusting(TLS)
            .everyClient()
            .start();

    /** The client APIs that take the HTTP/2 a TLS test server offers first. */
    private static final Set<String> OVER_HTTP2 = Set.of("jdk-send", "jdk-async", "okhttp-execute", "okhttp-enqueue",
            "apache5-async");

    static Stream<Arguments> everyClientApiOverHttpAndHttps() {
        return AgentedApp.everyClientApiWith("http", "https");
    }

    @ParameterizedTest
    @MethodSource("everyClientApiOverHttpAndHttps")
    void aCookieSetOnARetriedAnswerGoesWithTheRetryAndWithTheApplicationsNextRequest(String client, String scheme)
            throws Exception {
        // The cookie's path is this test's alone: no other request of the application's carries it.
        String path = "/sticky/" + scheme + "/" + client;
        String cookie = "lb=" + client + "-node-2";
        try (TestServer server = new TestServer("https".equals(scheme) ? TLS.serverSockets() : null)) {
            server.enqueue(new MockResponse.Builder().code(503).setHeader("Set-Cookie", cookie + "; Path=" + path)
                    .body("draining").build(), ok("after the retry"), ok("next"));

            Map<String, String> result = app.call(Call.get(client, server.url(path + "/item")).option("cookies", "on"));
            Map<String, String> next = app.call(Call.get(client, server.url(path + "/other")).option("cookies", "on"));

            assertEquals("200", result.get("status"), result.toString());
            assertEquals("after the retry", result.get("body"));
            assertEquals("next", next.get("body"), next.toString());
            Arrival first = server.take();
            Arrival retry = server.take();
            Arrival later = server.take();
            assertEquals(3, server.requestCount());
            assertNull(first.header("Cookie"), "no cookie before the server set one");
            assertEquals("2", retry.header("X-Attempt"));
            if (scheme.equals("https") && OVER_HTTP2.contains(client)) {
                assertEquals("HTTP/2", retry.request.getVersion());
            }
            assertEquals(cookie, retry.header("Cookie"), "the retry carries the cookie its first attempt was given");
            assertEquals("1", later.header("X-Attempt"));
            assertEquals(cookie, later.header("Cookie"), "the application's client kept the cookie");
        }
    }
}
