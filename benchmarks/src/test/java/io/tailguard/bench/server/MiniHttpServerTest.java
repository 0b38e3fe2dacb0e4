package io.tailguard.bench.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MiniHttpServerTest {

    @Test
    void answersRequestsOnOneKeptAliveConnection() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        try (MiniHttpServer server = new MiniHttpServer(request -> {
            seen.incrementAndGet();
            return request.target.equals("/busy") ? MiniHttpServer.Response.of(503, "busy") : ok;
        })) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(server.url("/x"))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals("ok", response.body());
            }
            HttpResponse<String> busy = client.send(HttpRequest.newBuilder(URI.create(server.url("/busy"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, busy.statusCode());
            assertEquals(4, seen.get());
            assertEquals(1, server.connectionsAccepted(), "the client reused its connection");
        }
    }

    /**
     * Requests one after another on a connection that delivers three bytes at a time: lines split
     * across reads, bare LF line ends, a body skipped, a header longer than the first read.
     */
    @Test
    void readsRequestsWhateverWayTheirBytesArrive() throws Exception {
        String longValue = "v".repeat(9_000);
        String wire = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /b HTTP/1.1\nX-Attempt: 2\nX-Long: " + longValue + "\n\n";
        InputStream trickle = new FilterInputStream(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1))) {
            @Override
            public int read(byte[] b, int off, int len) throws java.io.IOException {
                return super.read(b, off, Math.min(len, 3));
            }
        };
        MiniHttpServer.Wire in = new MiniHttpServer.Wire(trickle);

        MiniHttpServer.Request post = MiniHttpServer.readRequest(in);
        assertEquals("POST", post.method);
        assertEquals("/a", post.target);
        assertEquals("x", post.header("host"));
        MiniHttpServer.Request get = MiniHttpServer.readRequest(in);
        assertEquals("/b", get.target);
        assertEquals("2", get.header("x-attempt"));
        assertEquals(longValue, get.header("x-long"));
        assertNull(MiniHttpServer.readRequest(in), "the connection ended between requests");
    }
}
