package io.tailguard.it.okhttp;

import static io.tailguard.it.TestServer.ok;
import static io.tailguard.it.TestServer.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Request tagging through OkHttp on 3.14, 4.12 and 5: what each attempt carries, and that only a
 * policy that asks for tags adds them.
 */
@Timeout(120)
class OkHttpTaggingTest {

    /** A second server whose port an untagged policy matches more specifically than 127.0.0.1. */
    private static TestServer untaggedServer;
    private static OkHttpApps apps;
    private TestServer server;

    @BeforeAll
    static void startApplications() {
        untaggedServer = new TestServer();
        apps = new OkHttpApps(
                "tailguard.policy.api.hosts=127.0.0.1",
                "tailguard.policy.api.tagging=true",
                "tailguard.policy.api.retry.backoff.initial=10ms",
                "tailguard.policy.untagged.hosts=127.0.0.1:" + untaggedServer.port(),
                "tailguard.policy.untagged.retry.backoff.initial=10ms");
    }

    @AfterAll
    static void stopApplications() throws Exception {
        apps.close();
        untaggedServer.close();
    }

    @BeforeEach
    void startServer() {
        server = new TestServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
        untaggedServer.drain();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void keepsTheApplicationsOwnRequestIdOnEveryAttempt(String version, String api) throws Exception {
        server.enqueue(status(503), ok("done"));

        Map<String, String> result = apps.app(version).call(Call.get(api, server.url("/item"))
                .header("X-Request-ID", "app-chosen-17"));

        assertEquals("200", result.get("status"), result.toString());
        Arrival first = server.take();
        Arrival second = server.take();
        assertEquals("app-chosen-17", first.header("X-Request-ID"));
        assertEquals("app-chosen-17", second.header("X-Request-ID"));
        assertEquals("1", first.header("X-Attempt"));
        assertEquals("2", second.header("X-Attempt"));
        assertEquals("false", second.header("X-Is-Hedge"));
        assertEquals(1, second.request.getHeaders().values("X-Request-ID").size(), "replaced, not added twice");
    }

    /**
     * OkHttp runs a call once: a second {@code execute()} or {@code enqueue()} of it throws. With the
     * agent too, where a tagged attempt is a copy and the application's call itself never runs, and
     * where an untagged first attempt is the application's call.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void aCallRunOnceIsExecutedAndRefusedASecondTimeAsOkHttpRefusesItTaggedOrNot(String version, String api) throws Exception {
        server.enqueue(ok("tagged"));
        untaggedServer.enqueue(ok("untagged"));
        int untaggedBefore = untaggedServer.requestCount();

        Map<String, String> tagged = apps.app(version).call(Call.get(api, server.url("/once")).option("again", "true"));
        Map<String, String> untagged = apps.app(version).call(
                Call.get(api, untaggedServer.url("/once")).option("again", "true"));

        for (Map<String, String> result : List.of(tagged, untagged)) {
            assertEquals("200", result.get("status"), result.toString());
            assertEquals("true", result.get("executed"), "isExecuted() as without the agent: " + result);
            assertEquals("java.lang.IllegalStateException", result.get("againError"), result.toString());
            assertEquals("Already Executed", result.get("againErrorMessage"), result.toString());
        }
        assertEquals("1", server.take().header("X-Attempt"));
        assertNull(untaggedServer.take().header("X-Attempt"));
        assertEquals(1, server.requestCount(), "the second run sent nothing");
        assertEquals(untaggedBefore + 1, untaggedServer.requestCount(), "the second run sent nothing");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void givesEachLogicalRequestItsOwnId(String version, String api) throws Exception {
        apps.app(version).call(Call.get(api, server.url("/a")));
        apps.app(version).call(Call.get(api, server.url("/b")));

        String first = server.take().header("X-Request-ID");
        String second = server.take().header("X-Request-ID");
        assertNotNull(first);
        assertNotNull(second);
        assertNotEquals(first, second);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void aPolicyWithoutTaggingRetriesWithoutAddingHeaders(String version, String api) throws Exception {
        untaggedServer.enqueue(status(503), ok("done"));

        Map<String, String> result = apps.app(version).call(Call.get(api, untaggedServer.url("/item")));

        assertEquals("200", result.get("status"), result.toString());
        for (int i = 0; i < 2; i++) {
            Arrival arrival = untaggedServer.take();
            assertNull(arrival.header("X-Request-ID"));
            assertNull(arrival.header("X-Attempt"));
            assertNull(arrival.header("X-Is-Hedge"));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.tailguard.it.okhttp.OkHttpApps#versionsAndApis")
    void leavesHostsNoPolicyMatchesUntouched(String version, String api) throws Exception {
        server.enqueue(status(503), ok("done"));

        Map<String, String> result = apps.app(version).call(Call.get(api, server.unmatchedUrl("/item")));

        assertEquals("503", result.get("status"), "no policy, no retry");
        Arrival only = server.take();
        assertNull(only.header("X-Request-ID"));
        assertNull(only.header("X-Attempt"));
        assertEquals(1, server.requestCount());
    }
}
