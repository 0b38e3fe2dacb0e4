package io.tailguard.it.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import io.tailguard.it.Call;
import io.tailguard.it.TestServer;
import io.tailguard.it.TestServer.Arrival;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Isolated;

/** Adaptive backoff, measured on the server's arrival times. */
@Isolated
@Timeout(300)
class JdkAdaptiveBackoffTest {

    @Test
    void theGapBeforeARetryGrowsWhileTheServerFailsAndShrinksOnceItIsHealthy() throws Exception {
        try (TestServer server = new TestServer();
                AgentedApp app = AgentedApp.withConfig(String.join("\n",
                        "tailguard.policy.api.hosts=127.0.0.1",
                        "tailguard.policy.api.retry.max-attempts=2",
                        "tailguard.policy.api.retry.backoff.initial=10ms",
                        "tailguard.policy.api.retry.backoff.max=1s",
                        "tailguard.policy.api.retry.backoff.adaptive=true",
                        "tailguard.policy.api.tagging=true")).start()) {
            server.respondWith(request -> TestServer.status(503));
            double[] failingGaps = new double[30];
            for (int i = 0; i < failingGaps.length; i++) {
                app.call(Call.get("jdk-send", server.url("/failing")));
                failingGaps[i] = retryGapMillis(server);
            }
            double early = mean(failingGaps, 0, 3);
            double late = mean(failingGaps, 22, 30);

            // Healthy again: successes pull the success rate back up; then a single failure is
            // retried after a short gap again.
            server.respondWith(request -> TestServer.ok("fine"));
            for (int i = 0; i < 60; i++) {
                assertEquals("200", app.call(Call.get("jdk-send", server.url("/healthy"))).get("status"));
            }
            server.drain();
            server.respondWith(request -> "1".equals(request.getHeaders().get("X-Attempt"))
                    ? TestServer.status(503) : TestServer.ok("fine"));
            double[] recoveredGaps = new double[6];
            for (int i = 0; i < recoveredGaps.length; i++) {
                assertEquals("200", app.call(Call.get("jdk-send", server.url("/blip"))).get("status"));
                recoveredGaps[i] = retryGapMillis(server);
            }
            double recovered = mean(recoveredGaps, 0, recoveredGaps.length);

            System.out.printf("mean gap before a retry: failing early %.1f ms, failing late %.1f ms, healthy again"
                    + " %.1f ms%n", early, late, recovered);
            assertTrue(late > 3 * early, "the gap grows while failing: " + early + " -> " + late);
            assertTrue(recovered < late / 3, "the gap shrinks once healthy: " + late + " -> " + recovered);
        }
    }

    private static double retryGapMillis(TestServer server) throws InterruptedException {
        Arrival first = server.take();
        Arrival retry = server.take();
        assertEquals("2", retry.header("X-Attempt"));
        return (retry.nanos - first.nanos) / 1e6;
    }

    private static double mean(double[] values, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }
}
