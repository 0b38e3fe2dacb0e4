package io.tailguard.it.okhttp;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.SelfSignedTls;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import okhttp3.Headers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OkHttp's codecs write the tags of a call's first attempt, which is then the application's own
 * call: on every OkHttp version, {@code execute()} and {@code enqueue()}, over HTTP/1.1 and over
 * HTTP/2 (HTTPS). The tags go out once, after every header the interceptors and OkHttp set; a call
 * an interceptor makes on the same thread meanwhile carries none; an interceptor's own request id is
 * the one sent.
 */
@Timeout(180)
class OkHttpCodecTagsTest {

    private static final SelfSignedTls TLS = SelfSignedTls.create();
    private static final List<String> TAGS = List.of("x-request-id", "x-attempt", "x-is-hedge");
    /** The agent has the codec classes rewritten on a thread of its own: the first calls may still be copies. */
    private static final int CALLS_UNTIL_CODECS_WRITE = 50;

    private static OkHttpApps apps;
    private TestServer server;

    @BeforeAll
    static void startApplications() {
        apps = new OkHttpApps(TLS,
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.tagging=true",
                "tailguard.policy.api.retry.backoff.initial=10ms");
    }

    @AfterAll
    static void stopApplications() throws Exception {
        apps.close();
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    static Stream<Arguments> versionsApisAndWires() {
        List<Arguments> all = new ArrayList<>();
        for (String version : OkHttpApps.VERSIONS) {
            for (String api : OkHttpApps.APIS) {
                all.add(Arguments.of(version, api, "HTTP/1.1"));
                all.add(Arguments.of(version, api, "HTTP/2"));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("versionsApisAndWires")
    void theCodecWritesEachTagOnceAfterEveryHeaderTheInterceptorsAndOkHttpSet(String version, String api,
            String wire) throws Exception {
        Arrival arrival = codecTagged(apps.app(version), api, start(wire));

        assertEquals(wire, arrival.request.getVersion());
        Headers headers = arrival.request.getHeaders();
        for (String tag : TAGS) {
            assertEquals(1, headers.values(tag).size(), tag + " once: " + headers);
        }
        assertEquals("1", arrival.header("X-Attempt"));
        assertEquals("seen", arrival.header("X-Network-Interceptor"), "the interceptors ran");
        assertTrue(names(headers).indexOf("user-agent") < names(headers).indexOf("x-request-id"), headers.toString());
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("versionsApisAndWires")
    void aCallAnInterceptorMakesOnTheSameThreadCarriesNoTags(String version, String api, String wire)
            throws Exception {
        AgentedApp app = apps.app(version);
        codecTagged(app, api, start(wire));
        server.respondWith(request -> ok(request.getUrl().encodedPath()));

        Map<String, String> result = app.call(Call.get(api, server.url("/outer"))
                .header("X-Nested-Url", server.unmatchedUrl("/nested")));

        assertEquals("/outer", result.get("body"), result.toString());
        Arrival nested = server.take();
        Arrival outer = server.take();
        assertEquals("/nested", nested.request.getUrl().encodedPath());
        for (String tag : TAGS) {
            assertNull(nested.header(tag), tag + " on the interceptor's own call: " + nested.request.getHeaders());
            assertEquals(1, outer.request.getHeaders().values(tag).size(), tag);
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("versionsApisAndWires")
    void aRequestIdTheNetworkInterceptorSetsIsSentAloneOnEveryAttempt(String version, String api, String wire)
            throws Exception {
        AgentedApp app = apps.app(version);
        codecTagged(app, api, start(wire));
        server.enqueue(status(503), ok("done"));

        Map<String, String> result = app.call(Call.get(api, server.url("/item"))
                .header("X-Id-From-Interceptor", "net-7"));

        assertEquals("200", result.get("status"), result.toString());
        Arrival first = server.take();
        Arrival second = server.take();
        for (Arrival attempt : List.of(first, second)) {
            assertEquals(List.of("net-7"), attempt.request.getHeaders().values("X-Request-ID"));
        }
        assertEquals("1", first.header("X-Attempt"));
        assertEquals("2", second.header("X-Attempt"));
    }

    /**
     * The codecs are rewritten as the application builds its client, on a thread of the agent's,
     * not at its first call: an application that built its client (the driver's, with no call
     * made) has them ready, and its very first call's tags are written by the codec.
     */
    @ParameterizedTest
    @ValueSource(strings = {"okhttp-3.14", "okhttp-4.12", "okhttp-5"})
    void theCodecsAreReadyForTheFirstCallOnceTheApplicationHasBuiltItsClient(String version) throws Exception {
        try (AgentedApp app = AgentedApp.withConfig(String.join("\n", "tailguard.log.level=debug",
                        "tailguard.policy.api.hosts=127.0.0.1", "tailguard.policy.api.tagging=true"))
                .classpath(AgentedApp.clientClasspath(version)).start()) {
            app.send("inspect", Map.of("client", "okhttp-execute"), 30);
            app.awaitStderrLines("OkHttp's codecs write the tags", 1, Duration.ofSeconds(30));
            TestServer server = start("HTTP/1.1");
            server.enqueue(ok("first"));

            Map<String, String> first = app.call(Call.get("okhttp-execute", server.url("/first")));

            assertEquals("first", first.get("body"), first.toString());
            List<String> names = names(server.take().request.getHeaders());
            assertTrue(names.indexOf("x-request-id") > names.indexOf("x-network-interceptor"),
                    "the codec wrote the tags, after the network interceptor's header: " + names);
            assertTrue(names.indexOf("x-network-interceptor") >= 0, names.toString());
        }
    }

    private TestServer start(String wire) {
        server = wire.equals("HTTP/2") ? new TestServer(TLS.serverSockets()) : new TestServer();
        return server;
    }

    /**
     * The first request whose tags OkHttp's codec wrote: they come after the network interceptor's
     * header, which a tagged copy's never do (its tags are the request's own, before any the
     * interceptors add).
     */
    private static Arrival codecTagged(AgentedApp app, String api, TestServer server) throws Exception {
        for (int i = 0; i < CALLS_UNTIL_CODECS_WRITE; i++) {
            server.enqueue(ok("tagged"));
            assertEquals("200", app.call(Call.get(api, server.url("/tagged"))).get("status"));
            Arrival arrival = server.take();
            List<String> names = names(arrival.request.getHeaders());
            if (names.indexOf("x-request-id") > names.indexOf("x-network-interceptor")) {
                return arrival;
            }
        }
        throw new AssertionError(
                "no request of " + CALLS_UNTIL_CODECS_WRITE + " had its tags written by OkHttp's codec");
    }

    private static List<String> names(Headers headers) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < headers.size(); i++) {
            names.add(headers.name(i).toLowerCase(Locale.ROOT));
        }
        return names;
    }
}
