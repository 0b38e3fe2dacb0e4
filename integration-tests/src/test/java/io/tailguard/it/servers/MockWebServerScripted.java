package io.tailguard.it.servers;

import io.tailguard.it.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;

/** MockWebServer (through {@link TestServer}) as a {@link ScriptedServer}. */
final class MockWebServerScripted extends InProcessServer {

    private final TestServer server = new TestServer();

    MockWebServerScripted() {
        server.respondWith(this::respond);
    }

    private MockResponse respond(RecordedRequest request) {
        List<String> headers = new ArrayList<>();
        request.getHeaders().forEach(h -> headers.add(h.getFirst() + ": " + h.getSecond()));
        Reply reply = arrived(new Recorded(request.getMethod(), request.getUrl().encodedPath(),
                request.getBody() == null ? "" : request.getBody().utf8(), headers));
        MockResponse.Builder response = new MockResponse.Builder();
        if (reply.drop) {
            return response.onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
        }
        response.code(reply.status).body(reply.body);
        for (Map.Entry<String, String> header : reply.headers.entrySet()) {
            response.addHeader(header.getKey(), header.getValue());
        }
        if (reply.delayMs > 0) {
            response.headersDelay(reply.delayMs, TimeUnit.MILLISECONDS);
        }
        return response.build();
    }

    @Override
    public ServerKind kind() {
        return ServerKind.MOCKWEBSERVER;
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
