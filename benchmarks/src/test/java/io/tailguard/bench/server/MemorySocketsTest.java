package io.tailguard.bench.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

class MemorySocketsTest {

    @Test
    void okHttpCallsAreAnsweredByTheHandlerOverOneConnectionInMemory() throws Exception {
        List<String> seen = new ArrayList<>();
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        MiniHttpServer.Response unavailable = MiniHttpServer.Response.of(503, "busy");
        MemorySockets sockets = new MemorySockets(request -> {
            seen.add(request.method + " " + request.target + " " + request.header("host") + " " + request.header("x-attempt"));
            return request.target.equals("/busy") ? unavailable : ok;
        });
        OkHttpClient client = new OkHttpClient.Builder().socketFactory(sockets).build();
        try (Response first = client.newCall(new Request.Builder().url("http://127.0.0.7:8080/a")
                .header("X-Attempt", "1").build()).execute()) {
            assertEquals(200, first.code());
            assertEquals("ok", first.body().string());
        }
        try (Response second = client.newCall(new Request.Builder().url("http://127.0.0.7:8080/busy").build()).execute()) {
            assertEquals(503, second.code());
            assertEquals("busy", second.body().string());
        }
        assertEquals(List.of("GET /a 127.0.0.7:8080 1", "GET /busy 127.0.0.7:8080 null"), seen);
        assertEquals(1, sockets.created(), "both calls over one connection, kept alive");
        client.connectionPool().evictAll();
    }

    @Test
    void aRequestAskingToCloseGetsTheServersClosingResponseAndANewConnectionAfter() throws Exception {
        MemorySockets sockets = new MemorySockets(MiniHttpServer.fastHandler());
        OkHttpClient client = new OkHttpClient.Builder().socketFactory(sockets).build();
        try (Response closing = client.newCall(new Request.Builder().url("http://127.0.0.7:8080/")
                .header("Connection", "close").build()).execute()) {
            assertEquals("close", closing.header("Connection"));
            assertEquals("ok", closing.body().string());
        }
        try (Response next = client.newCall(new Request.Builder().url("http://127.0.0.7:8080/").build()).execute()) {
            assertEquals("ok", next.body().string());
        }
        assertEquals(2, sockets.created(), "the closed connection is not used again");
        client.connectionPool().evictAll();
    }
}
