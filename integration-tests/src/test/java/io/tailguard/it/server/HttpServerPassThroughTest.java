package io.tailguard.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.it.AgentedApp;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code com.sun.net.httpserver} application answers byte for byte the same with the agent as
 * without it when the server side is not configured, and also when it is and the handler's
 * response is recorded on its way out (a tagged request under a coalesced path).
 */
@Timeout(180)
class HttpServerPassThroughTest {

    private static final List<String> REQUESTS = List.of(
            "GET /bytes/fixed HTTP/1.1\r\nHost: app\r\nX-Request-ID: r1\r\nX-Attempt: 1\r\n"
                    + "Authorization: Bearer a\r\nConnection: close\r\n\r\n",
            "GET /bytes/chunked?chunked=1 HTTP/1.1\r\nHost: app\r\nX-Request-ID: r2\r\nConnection: close\r\n\r\n",
            "HEAD /work/head HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n",
            "GET /missing HTTP/1.0\r\n\r\n");

    @Test
    void responsesAreTheSameBytesWithoutTheAgentWithoutServerConfigurationAndWhileRecorded() throws Exception {
        List<String> withoutAgent = responses(AgentedApp.withoutAgent());
        List<String> clientOnly = responses(AgentedApp.withConfig("tailguard.policy.api.hosts=api.example.com\n"
                + "tailguard.policy.api.tagging=true"));
        List<String> recorded = responses(AgentedApp.withConfig("tailguard.server.coalesce.paths=/bytes/*, /work/*\n"
                + "tailguard.server.coalesce.anonymous=true\ntailguard.server.replay.ttl=10s\n"
                + "tailguard.server.shed.max-concurrency=100"));

        assertTrue(withoutAgent.get(0).startsWith("HTTP/1.1 200 OK\r\n"), withoutAgent.get(0));
        assertTrue(withoutAgent.get(1).contains("Transfer-encoding: chunked"), withoutAgent.get(1));
        assertEquals(withoutAgent, clientOnly);
        assertEquals(withoutAgent, recorded);
    }

    private static List<String> responses(AgentedApp.Builder builder) throws Exception {
        try (AgentedApp app = builder.start()) {
            int port = Integer.parseInt(app.send("serve", Map.of(), 30).get("port"));
            List<String> responses = new ArrayList<>();
            for (String request : REQUESTS) {
                responses.add(withoutDate(exchange(port, request)));
            }
            assertEquals(List.of(), app.agentProblems());
            return responses;
        }
    }

    private static String exchange(int port, String request) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            in.transferTo(response);
            // ISO-8859-1 maps every byte to one char: equal strings are equal bytes.
            return response.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** The one header that differs between any two responses: the time. */
    private static String withoutDate(String response) {
        return response.replaceFirst("\r\nDate: [^\r]*", "");
    }
}
