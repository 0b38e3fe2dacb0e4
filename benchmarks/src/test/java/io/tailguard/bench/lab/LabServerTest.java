package io.tailguard.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The lab's JDK server records every attempt in front of its handler, with the CPU the handler spent. */
class LabServerTest {

    private static final long MS = 1_000_000L;

    @Test
    void jdkServerRecordsEachAttemptWithItsKindAndTheHandlersCpu() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        try (LabServer server = new LabServer(LatencyModel.uniform(1, 1), 3 * MS, null, 1, System.nanoTime(), true)) {
            URI url = URI.create(server.url());
            assertEquals(200, send(client, url, "-1", null));
            assertEquals(200, send(client, url, "5", null));
            assertEquals(200, send(client, url, "5", "2"));

            LabServer.ServerLog log = server.log();
            assertEquals(2, log.attempts.size(), "the warm-up call is not an attempt");
            LabServer.Attempt primary = log.attempts.get(0);
            LabServer.Attempt hedge = log.attempts.get(1);
            assertEquals(LabServer.Kind.PRIMARY, primary.kind);
            assertEquals(LabServer.Kind.HEDGE, hedge.kind);
            for (LabServer.Attempt a : log.attempts) {
                assertEquals(5, a.id);
                assertEquals(200, a.status);
                assertTrue(a.handled);
                assertFalse(a.shed);
                assertTrue(a.cpuNanos >= 3 * MS, "the handler spent its CPU: " + a.cpuNanos);
                assertTrue(a.serviceNanos >= 4 * MS, "CPU, then the drawn millisecond: " + a.serviceNanos);
            }
        }
    }

    private static int send(HttpClient client, URI url, String id, String attempt) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).header(LabServer.ID_HEADER, id);
        if (attempt != null) {
            request.header("X-Attempt", attempt).header("X-Is-Hedge", "true");
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
