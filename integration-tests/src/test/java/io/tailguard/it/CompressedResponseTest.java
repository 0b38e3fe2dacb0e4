package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import mockwebserver3.MockResponse;
import okio.Buffer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Answers with {@code Content-Encoding: gzip}, which OkHttp, Apache 4.5 classic and both Apache 5
 * clients decompress on the application's behalf and the others hand over as they came: a retried
 * request's answer, and the last error when the retries end, reach the application exactly as one
 * answer does in an application without the agent, for every client API. The bodies are some 40 KB
 * of text, so that the agent's holding of a retryable answer and the client's decompression each
 * see more than one read's worth.
 */
@Timeout(120)
class CompressedResponseTest {

    private static final String SUCCESS = text("the answer", 2_000);
    private static final String ERROR = text("bad gateway, try again", 1_500);
    /** The client APIs that decompress an answer for the application. */
    private static final List<String> DECOMPRESSING = List.of("okhttp-execute", "okhttp-enqueue", "apache4", "apache5",
            "apache5-async");

    @AutoClose
    private static final SideBySide apps = SideBySide.retryingTwice();

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void aRetriedRequestsCompressedAnswerReachesTheApplicationAsWithoutTheAgent(String client) throws Exception {
        Map<String, String> without;
        try (TestServer server = new TestServer()) {
            server.enqueue(gzipped(200, SUCCESS));
            without = app(apps.plain, client, server);
        }
        try (TestServer server = new TestServer()) {
            server.enqueue(gzipped(502, ERROR), gzipped(200, SUCCESS));

            Map<String, String> with = app(apps.agent, client, server);

            assertEquals(2, server.requestCount(), "the 502 was retried");
            assertEquals("1", server.take().header("X-Attempt"));
            assertEquals("2", server.take().header("X-Attempt"));
            assertEquals(without, with);
            assertEquals("200", with.get("status"), with.toString());
            assertEquals(DECOMPRESSING.contains(client), SUCCESS.equals(with.get("body")),
                    "decompressed by the client");
        }
    }

    @ParameterizedTest
    @MethodSource("io.tailguard.it.AgentedApp#everyClientApi")
    void theLastCompressedErrorIsWhatTheApplicationGetsWhenRetriesEnd(String client) throws Exception {
        Map<String, String> without;
        try (TestServer server = new TestServer()) {
            server.enqueue(gzipped(502, ERROR));
            without = app(apps.plain, client, server);
        }
        try (TestServer server = new TestServer()) {
            server.enqueue(gzipped(502, "the first " + ERROR), gzipped(502, ERROR));

            Map<String, String> with = app(apps.agent, client, server);

            assertEquals(2, server.requestCount(), "both attempts were made");
            assertEquals(without, with);
            assertEquals("502", with.get("status"), with.toString());
            assertEquals(DECOMPRESSING.contains(client), ERROR.equals(with.get("body")), "decompressed by the client");
        }
    }

    private static Map<String, String> app(AgentedApp app, String client, TestServer server) {
        Map<String, String> got = SideBySide.outcome(app.call(Call.get(client, server.url("/compressed"))), server);
        assertTrue(got.containsKey("status"), got.toString());
        return got;
    }

    private static MockResponse gzipped(int status, String body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            gzip.write(body.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new MockResponse.Builder().code(status).setHeader("Content-Encoding", "gzip")
                .setHeader("Content-Type", "text/plain; charset=utf-8")
                .body(new Buffer().write(bytes.toByteArray())).build();
    }

    private static String text(String line, int times) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < times; i++) {
            text.append(line).append(' ').append(i).append('\n');
        }
        return text.toString();
    }
}
