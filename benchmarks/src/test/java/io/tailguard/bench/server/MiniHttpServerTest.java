package io.tailguard.bench.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
