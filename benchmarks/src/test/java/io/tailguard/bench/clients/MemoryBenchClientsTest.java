package io.tailguard.bench.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tailguard.bench.server.MemorySockets;
import io.tailguard.bench.server.MiniHttpServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MemoryBenchClientsTest {

    @AfterEach
    void answerAsTheFastServerAgain() {
        MemorySockets.answerWith(MiniHttpServer.fastHandler());
    }

    @ParameterizedTest
    @ValueSource(strings = {"okhttp-memory", "apache5-memory", "apache4-memory"})
    void eachCallIsAnsweredInMemoryByTheHandlerGiven(String name) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        MiniHttpServer.Response missing = MiniHttpServer.Response.of(404, "none");
        MemorySockets.answerWith(request -> {
            seen.add(request.target + " " + request.header("host") + " " + request.header("x-attempt"));
            return request.target.equals("/none") ? missing : ok;
        });
        try (BenchClient client = BenchClients.create(name)) {
            assertEquals(200, client.get("http://127.0.0.7:8080/a", null, "X-Attempt", "1"));
            assertEquals(404, client.get("http://127.0.0.7:8080/none", null));
            assertEquals(200, client.get("http://127.0.0.8:8080/a", null));
        }
        assertEquals(List.of("/a 127.0.0.7:8080 1", "/none 127.0.0.7:8080 null", "/a 127.0.0.8:8080 null"), seen);
    }

    @ParameterizedTest
    @ValueSource(strings = {"okhttp-memory", "apache5-memory", "apache4-memory", "okhttp-untimed"})
    void theyAreMeasuredOnlyWhereNamed(String name) {
        assertFalse(BenchClients.available().contains(name));
    }

    @Test
    void okHttpWithoutItsTimeoutsCallsARealServer() throws Exception {
        try (MiniHttpServer server = MiniHttpServer.fast(); BenchClient client = BenchClients.create("okhttp-untimed")) {
            assertEquals(200, client.get(server.url("/"), null));
            assertEquals(200, client.get(server.url("/"), null));
            assertEquals(1, server.connectionsAccepted(), "one connection, kept alive");
        }
    }
}
