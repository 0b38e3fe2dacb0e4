package io.tailguard.it.urlconnection;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * On JDK 17 to 25 the connection's header printing writes the tags, after every header of the
 * application's and the JDK's own (as entries of the connection's header list they would come
 * before those the JDK adds as it sends). The agent rewrites the printing as the header class is
 * defined, and leaves tags to it once the client is hooked; the tests still allow a JVM's first
 * calls to show them in the list. The application's JVM verifies the JDK's own classes too
 * ({@code -XX:+BytecodeVerificationLocal}, a diagnostic option), so the rewritten header class,
 * with the call put in the middle of a method and the stack map frames after it moved, passes
 * HotSpot's verifier before any test here can pass.
 */
@Timeout(120)
class UrlConnectionTagLinesTest {

    private static final String CLIENT = "urlconnection";
    private static final Set<String> TAGS = Set.of("x-request-id", "x-attempt", "x-is-hedge", "x-request-timeout-ms");

    @AutoClose
    private static final AgentedApp app = AgentedApp.withConfig(String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.retry.backoff.initial=10ms",
            "tailguard.policy.api.tagging=true"))
            .jvmOption("-XX:+UnlockDiagnosticVMOptions").jvmOption("-XX:+BytecodeVerificationLocal").start();

    @AutoClose
    private final TestServer server = new TestServer();

    @AfterAll
    static void agentReportedNoProblem() {
        assertEquals(List.of(), app.agentProblems(), app.stderr());
    }

    /** Calls until a request's tags come last, as the printing writes them: at most 50 calls. */
    private List<String> untilTheTagsComeLast() throws Exception {
        List<String> names = new ArrayList<>();
        for (int call = 0; call < 50 && !tagsLast(names); call++) {
            server.enqueue(ok("fine"));
            assertEquals("200", app.call(Call.get(CLIENT, server.url("/item")).header("X-App", "own"))
                    .get("status"));
            names = names(server.take());
        }
        return names;
    }

    private static List<String> names(Arrival arrival) {
        List<String> names = new ArrayList<>();
        arrival.request.getHeaders().forEach(header -> names.add(header.getFirst()));
        return names;
    }

    private static boolean tagsLast(List<String> names) {
        int tags = (int) names.stream().filter(name -> TAGS.contains(name.toLowerCase(Locale.ROOT))).count();
        return tags > 0 && names.subList(names.size() - tags, names.size()).stream()
                .allMatch(name -> TAGS.contains(name.toLowerCase(Locale.ROOT)));
    }

    @Test
    void theTagsComeAfterEveryOtherHeaderEachOnce() throws Exception {
        List<String> names = untilTheTagsComeLast();

        assertTrue(tagsLast(names), names.toString());
        List<String> tags = new ArrayList<>(names);
        tags.removeIf(name -> !TAGS.contains(name.toLowerCase(Locale.ROOT)));
        assertEquals(List.of("X-Request-ID", "X-Attempt", "X-Is-Hedge"), tags.subList(0, 3), names.toString());
        assertEquals(tags.size(), Set.copyOf(tags).size(), "each once: " + names);
        for (String own : List.of("X-App", "Host", "User-Agent", "Accept")) {
            assertTrue(names.indexOf(own) >= 0 && names.indexOf(own) < names.indexOf("X-Request-ID"),
                    own + " before the tags: " + names);
        }
    }

    @Test
    void aRedirectAndARetryCarryTheTagsOfTheirAttemptOnce() throws Exception {
        untilTheTagsComeLast();
        server.enqueue(new MockResponse.Builder().code(302).addHeader("Location", "/moved").build(),
                status(503), ok("arrived"));

        Map<String, String> result = app.call(Call.get(CLIENT, server.url("/start")));

        assertEquals("200", result.get("status"), result.toString());
        Arrival first = server.take();
        Arrival moved = server.take();
        Arrival retry = server.take();
        assertEquals("/moved", moved.request.getUrl().encodedPath());
        assertEquals(List.of("1"), first.request.getHeaders().values("X-Attempt"));
        assertEquals(List.of("1"), moved.request.getHeaders().values("X-Attempt"));
        assertEquals(List.of("2"), retry.request.getHeaders().values("X-Attempt"));
        assertEquals(first.request.getHeaders().values("X-Request-ID"), retry.request.getHeaders().values("X-Request-ID"));
        assertEquals(1, retry.request.getHeaders().values("X-Request-ID").size());
        assertTrue(tagsLast(names(retry)), names(retry).toString());
    }
}
