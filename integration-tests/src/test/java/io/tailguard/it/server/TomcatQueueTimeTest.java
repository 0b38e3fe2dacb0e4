package io.tailguard.it.server;

import static io.tailguard.it.server.ServletServer.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.server.ServletServer.Container;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tomcat's queue time reaches the server side: in a Tomcat with one worker thread, held by a first
 * request, the requests behind it wait in the connector's executor; once they get the thread, a
 * retry that waited past {@code shed.max-queue-time} is refused, an original that waited as long is
 * served, and one whose client said it waits less than that is answered without its handler. Where
 * the application bounds the queue time of originals too, an original that waited past that bound
 * is refused the same way, before its handler.
 */
@Timeout(240)
class TomcatQueueTimeTest {

    private static final long MAX_QUEUE_MILLIS = 200;
    private static final String CONFIG = String.join("\n",
            "tailguard.server.shed.max-queue-time=" + MAX_QUEUE_MILLIS + "ms",
            "tailguard.server.drop-expired=true",
            "tailguard.log.level=debug");

    @ParameterizedTest
    @EnumSource(value = Container.class, names = {"TOMCAT_11", "TOMCAT_10", "TOMCAT_9"})
    void aRetryThatWaitedForTheThreadPastTheBoundIsShedAndAnOriginalServed(Container container) throws Exception {
        try (ServletServer server = ServletServer.startTomcat(container, AgentedApp.withConfig(CONFIG), 1)) {
            HttpAnswer[] answers = queueBehindTheOnlyThread(server);
            HttpAnswer shed = answers[0];
            assertEquals(503, shed.status, shed.toString());
            assertEquals("1", shed.header("Tailguard-Shed"));
            HttpAnswer served = answers[1];
            assertEquals(200, served.status, served.toString());
            assertNull(served.header("Tailguard-Shed"));
            HttpAnswer dropped = answers[2];
            assertEquals(503, dropped.status, dropped.toString());
            assertEquals(0, server.runs("/text/retry"));
            assertEquals(1, server.runs("/text/original"));
            assertEquals(0, server.runs("/text/expired"));
            for (String hooked : new String[] {"net.SocketProcessorBase", "threads.ThreadPoolExecutor"}) {
                assertFalse(server.app().stderrLines(Pattern.compile("instrumented org\\.apache\\.tomcat\\.util\\."
                        + Pattern.quote(hooked) + "$")).isEmpty(), hooked + " is hooked:\n" + server.app().stderr());
            }
            assertTrue(server.app().agentProblems().isEmpty(), server.app().agentProblems().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Container.class, names = {"TOMCAT_11", "TOMCAT_10", "TOMCAT_9"})
    void withTheOriginalsBoundAnOriginalThatWaitedPastItIsShedBeforeItsHandler(Container container)
            throws Exception {
        // The retries' own bound is far above the queue time under test: only the originals' applies.
        AgentedApp.Builder agent = AgentedApp.withConfig(String.join("\n",
                "tailguard.server.shed.original-max-queue-time=" + MAX_QUEUE_MILLIS + "ms",
                "tailguard.server.shed.max-queue-time=60s"));
        try (ServletServer server = ServletServer.startTomcat(container, agent, 1)) {
            HttpAnswer[] answers = queueBehindTheOnlyThread(server,
                    get("/text/original", "X-Request-ID: b-1\r\nX-Attempt: 1\r\n"),
                    get("/text/untagged", ""),
                    get("/text/retry", "X-Request-ID: b-2\r\nX-Attempt: 2\r\n"));
            for (HttpAnswer refused : answers) {
                assertEquals(503, refused.status, refused.toString());
                assertEquals("1", refused.header("Tailguard-Shed"), refused.toString());
                assertEquals("1", refused.header("Retry-After"), refused.toString());
            }
            assertEquals(0, server.runs("/text/original"));
            assertEquals(0, server.runs("/text/untagged"));
            assertEquals(0, server.runs("/text/retry"));
            assertTrue(server.app().agentProblems().isEmpty(), server.app().agentProblems().toString());
        }
    }

    /** Without the {@code tomcat} hook Tomcat does not say how long a request waited: nothing is refused for it. */
    @ParameterizedTest
    @EnumSource(value = Container.class, names = "TOMCAT_11")
    void withTheTomcatHookSwitchedOffEveryQueuedRequestIsServed(Container container) throws Exception {
        AgentedApp.Builder agent = AgentedApp.withConfig(CONFIG + "\ntailguard.instrumentation.tomcat.enabled=false");
        try (ServletServer server = ServletServer.startTomcat(container, agent, 1)) {
            for (HttpAnswer answer : queueBehindTheOnlyThread(server)) {
                assertEquals(200, answer.status, answer.toString());
            }
            assertEquals(1, server.runs("/text/retry"));
            assertEquals(1, server.runs("/text/expired"));
        }
    }

    /**
     * Holds the only worker thread with a first request, queues a retry, an original and a request
     * whose client waits less than the bound behind it, lets them wait past the bound, lets the first
     * go; returns the three queued requests' answers.
     */
    private static HttpAnswer[] queueBehindTheOnlyThread(ServletServer server) throws Exception {
        return queueBehindTheOnlyThread(server,
                get("/text/retry", "X-Request-ID: q-1\r\nX-Attempt: 2\r\n"),
                get("/text/original", "X-Request-ID: q-2\r\n"),
                get("/text/expired", "X-Request-ID: q-3\r\nX-Request-Timeout-Ms: " + MAX_QUEUE_MILLIS / 2 + "\r\n"));
    }

    /** Holds the only worker thread, queues {@code requests} behind it past the bound, returns their answers. */
    private static HttpAnswer[] queueBehindTheOnlyThread(ServletServer server, String... requests) throws Exception {
        CompletableFuture<HttpAnswer> holder = server.send(get("/text/holder?hold", ""));
        server.awaitRuns("/text/holder", 1);
        List<CompletableFuture<HttpAnswer>> queued = new ArrayList<>();
        for (String request : requests) {
            queued.add(server.send(request));
        }
        server.awaitQueued(requests.length);
        // The stimulus, not a synchronisation: the queued requests wait past the bound (longer only helps).
        Thread.sleep(2 * MAX_QUEUE_MILLIS);
        server.release("/text/holder");
        HttpAnswer[] answers = new HttpAnswer[requests.length];
        for (int i = 0; i < answers.length; i++) {
            answers[i] = queued.get(i).get(60, TimeUnit.SECONDS);
        }
        assertEquals(200, holder.get(60, TimeUnit.SECONDS).status);
        return answers;
    }
}
