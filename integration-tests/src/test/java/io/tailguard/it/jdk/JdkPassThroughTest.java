package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests Tailguard must leave alone go out exactly as without the agent. */
@Timeout(180)
class JdkPassThroughTest {

    private static final String POLICY = String.join("\n",
            "tailguard.policy.api.hosts=127.0.0.1",
            "tailguard.policy.api.hedge.delay=10ms",
            "tailguard.policy.api.tagging=true");

    @Test
    void anUnmatchedHostDisabledAgentAndNoAgentLookTheSameOnTheWire() throws Exception {
        String withoutAgent = onTheWire(AgentedApp.withoutAgent(), true);
        String unmatched = onTheWire(AgentedApp.withConfig(POLICY), false);
        String disabled = onTheWire(AgentedApp.withConfig("tailguard.enabled=false\n" + POLICY), true);

        assertEquals(withoutAgent, unmatched);
        assertEquals(withoutAgent, disabled);
    }

    @Test
    void anApplicationsOwnRequestIdIsKept() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(
                        "tailguard.policy.api.hosts=127.0.0.1\ntailguard.policy.api.tagging=true").start()) {
            server.enqueue(TestServer.status(503), TestServer.ok("fine"));

            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item"))
                    .header("X-Request-ID", "order-4711"));

            assertEquals("200", result.get("status"));
            Arrival first = server.take();
            Arrival second = server.take();
            assertEquals("order-4711", first.header("X-Request-ID"));
            assertEquals("order-4711", second.header("X-Request-ID"));
            assertEquals(1, first.request.getHeaders().values("X-Request-ID").size());
            assertEquals("2", second.header("X-Attempt"));
        }
    }

    @Test
    void aTaggingHeaderTheApplicationSetsItselfIsReplacedNotRepeated() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(
                        "tailguard.policy.api.hosts=127.0.0.1\ntailguard.policy.api.tagging=true").start()) {
            server.enqueue(TestServer.status(503), TestServer.ok("fine"));

            Map<String, String> result = app.call(Call.get("jdk-send", server.url("/item"))
                    .header("x-attempt", "7").header("Accept", "text/plain"));

            assertEquals("200", result.get("status"));
            for (String attempt : new String[] {"1", "2"}) {
                Arrival arrival = server.take();
                assertEquals(List.of(attempt), arrival.request.getHeaders().values("X-Attempt"));
                List<String> names = new ArrayList<>();
                arrival.request.getHeaders().forEach(header -> names.add(header.getFirst()));
                assertTrue(names.contains("X-Attempt"), "named as configured: " + names);
                assertEquals("text/plain", arrival.header("Accept"), "the application's other headers are kept");
            }
        }
    }

    /**
     * Sends a 503-answered GET and describes what the server saw: number of requests and every
     * header of the first, in order.
     */
    private static String onTheWire(AgentedApp.Builder builder, boolean matchedHostName) throws Exception {
        try (TestServer server = new TestServer(); AgentedApp app = builder.start()) {
            server.respondWith(request -> TestServer.status(503));
            String url = matchedHostName ? server.url("/item") : server.unmatchedUrl("/item");
            Map<String, String> result = app.call(Call.get("jdk-send", url).header("Accept", "text/plain")
                    .option("version", "1.1"));
            assertEquals("503", result.get("status"));
            Arrival only = server.take();
            assertEquals(1, server.requestCount(), "exactly one attempt");
            assertNull(only.header("X-Attempt"));
            assertNull(only.header("X-Is-Hedge"));
            assertFalse(only.request.getHeaders().names().contains("X-Request-ID"));
            StringBuilder wire = new StringBuilder();
            only.request.getHeaders().forEach(header -> {
                if (!header.getFirst().equalsIgnoreCase("Host")) {
                    wire.append(header.getFirst()).append(": ").append(header.getSecond()).append('\n');
                }
            });
            return wire.toString();
        }
    }
}
