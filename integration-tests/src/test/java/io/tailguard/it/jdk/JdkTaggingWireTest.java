package io.tailguard.it.jdk;

import static io.tailguard.it.TestServer.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.SelfSignedTls;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a tagged JDK request looks like on the wire, next to the same request left alone. The
 * application's JVM verifies the JDK's own classes too ({@code -XX:+BytecodeVerificationLocal}, a
 * diagnostic option: it does not by default), so the four the agent rewrites (the client's, with a hook's
 * prologue, and the three that write the tags) pass HotSpot's verifier, stack map frames included,
 * before any test here can pass.
 */
@Timeout(120)
class JdkTaggingWireTest {

    private static final Set<String> TAGS = Set.of("x-request-id", "x-attempt", "x-is-hedge", "x-request-timeout-ms");

    private static final SelfSignedTls TLS = SelfSignedTls.create();

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.tagging=true")).trusting(TLS)
            .jvmOption("-XX:+UnlockDiagnosticVMOptions").jvmOption("-XX:+BytecodeVerificationLocal").start();

    @AutoClose
    private final TestServer server = new TestServer();

    /**
     * The untagged request goes to {@code localhost}, which no policy matches: apart from the
     * tags and {@code Host} ({@code :authority} in HTTP/2), the two must carry the same headers,
     * in the same order (a GET without a body gets no {@code Content-Length: 0} from JDK 19 on,
     * tagged or not).
     */
    @ParameterizedTest
    @CsvSource({"jdk-send,1.1", "jdk-send,2", "jdk-async,1.1", "jdk-async,2"})
    void aTaggedRequestCarriesTheHeadersItWouldCarryWithoutTheAgentAndTheTags(String client, String version)
            throws Exception {
        sameHeadersTaggedOrNot(client, version, server, "HTTP/1.1");
    }

    /** Over TLS the JDK client negotiates HTTP/2 by ALPN: the tags go out in HPACK-encoded frames. */
    @ParameterizedTest
    @CsvSource({"jdk-send,1.1,HTTP/1.1", "jdk-send,2,HTTP/2", "jdk-async,1.1,HTTP/1.1", "jdk-async,2,HTTP/2"})
    void overHttpsAndHttp2TooATaggedRequestCarriesTheSameHeadersAndTheTags(String client, String version,
            String protocol) throws Exception {
        try (TestServer https = new TestServer(TLS.serverSockets())) {
            sameHeadersTaggedOrNot(client, version, https, protocol);
        }
    }

    private static void sameHeadersTaggedOrNot(String client, String version, TestServer server, String protocol)
            throws Exception {
        for (String method : List.of("GET", "DELETE", "POST")) {
            Call plain = Call.of(client, method, server.unmatchedUrl("/item")).header("Accept", "text/plain")
                    .header("X-App", "own").option("version", version);
            Call tagged = Call.of(client, method, server.url("/item")).header("Accept", "text/plain")
                    .header("X-App", "own").option("version", version);
            // A GET or DELETE as GET() and DELETE() make it: without a body publisher.
            plain.body(method.equals("POST") ? "string" : "absent", "{}");
            tagged.body(method.equals("POST") ? "string" : "absent", "{}");

            assertEquals("200", app.call(plain).get("status"));
            Arrival untouched = server.take();
            assertEquals("200", app.call(tagged).get("status"));
            Arrival sent = server.take();

            assertEquals(protocol, sent.request.getVersion());
            assertEquals(protocol, untouched.request.getVersion());
            assertEquals(headersBesidesTags(untouched), headersBesidesTags(sent), method + " over " + version);
            assertEquals(List.of("1"), sent.request.getHeaders().values("X-Attempt"));
            assertEquals(List.of("false"), sent.request.getHeaders().values("X-Is-Hedge"));
            assertEquals(1, sent.request.getHeaders().values("X-Request-ID").size());
            assertEquals(untouched.body(), sent.body(), method);
        }
    }

    /**
     * On JDK 17 to 25 the client writes the tags itself, after the application's headers (which it
     * writes sorted by name); as headers of the request, they would be sorted among them. The
     * agent rewrites the client's classes for it on a thread of its own once the client is hooked
     * (tags go as headers until then), so the first calls of a JVM may still show the tags sorted.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void overHttp1TheClientWritesTheTagsAfterTheApplicationsOwnHeaders(String client) throws Exception {
        List<String> names = new ArrayList<>();
        for (int call = 0; call < 50 && names.indexOf("X-Request-ID") != names.indexOf("Z-Last") + 1; call++) {
            Map<String, String> result = app.call(Call.get(client, server.url("/item")).header("Z-Last", "z")
                    .header("A-First", "a").option("version", "1.1"));
            assertEquals("200", result.get("status"), result.toString());
            names.clear();
            server.take().request.getHeaders().forEach(header -> names.add(header.getFirst()));
        }

        List<String> tags = new ArrayList<>(names);
        tags.removeIf(name -> !TAGS.contains(name.toLowerCase(Locale.ROOT)));
        assertEquals(List.of("X-Request-ID", "X-Attempt", "X-Is-Hedge"), tags.subList(0, 3), names.toString());
        assertEquals(names.indexOf("Z-Last") + 1, names.indexOf("X-Request-ID"), names.toString());
        assertTrue(names.indexOf("A-First") < names.indexOf("Z-Last"), names.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk-send", "jdk-async"})
    void aRedirectTheClientFollowsCarriesTheTagsOfTheAttemptItBelongsTo(String client) throws Exception {
        server.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "/moved").build(), ok("here"));

        Map<String, String> result = app.call(Call.get(client, server.url("/item")).header("X-App", "own")
                .option("redirects", "follow"));

        assertEquals("200", result.get("status"), result.toString());
        assertEquals("here", result.get("body"));
        Arrival first = server.take();
        Arrival redirected = server.take();
        assertEquals("/moved", redirected.request.getTarget());
        assertNotNull(first.header("X-Request-ID"));
        for (String tag : List.of("X-Request-ID", "X-Attempt", "X-Is-Hedge", "X-App")) {
            assertEquals(first.request.getHeaders().values(tag), redirected.request.getHeaders().values(tag), tag);
            assertEquals(1, redirected.request.getHeaders().values(tag).size(), tag);
        }
        assertEquals(headersBesidesTags(first), headersBesidesTags(redirected));
    }

    private static List<String> headersBesidesTags(Arrival arrival) {
        List<String> lines = new ArrayList<>();
        arrival.request.getHeaders().forEach(header -> {
            String name = header.getFirst().toLowerCase(Locale.ROOT);
            if (!TAGS.contains(name) && !name.equals("host") && !name.equals(":authority")) {
                lines.add(header.getFirst() + ": " + header.getSecond());
            }
        });
        return lines;
    }
}
