package io.tailguard.agent.instrumentation.apache4.adapter.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.HeaderDecision;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.http.HttpHost;
import org.apache.http.HttpResponse;
import org.apache.http.HttpVersion;
import org.apache.http.entity.BasicHttpEntity;
import org.apache.http.message.BasicHttpRequest;
import org.apache.http.message.BasicHttpResponse;
import org.apache.http.nio.ContentDecoder;
import org.apache.http.nio.IOControl;
import org.apache.http.nio.protocol.BasicAsyncResponseConsumer;
import org.apache.http.nio.protocol.HttpAsyncResponseConsumer;
import org.apache.http.protocol.BasicHttpContext;
import org.apache.http.util.EntityUtils;
import org.junit.jupiter.api.Test;

/**
 * The HttpAsyncClient 4.1 attempt consumer under the buffer limits: every chunk is reserved before
 * it is held; a body past the limit goes to the application's consumer (held bytes first, then
 * the rest as the connection delivers it) once the engine commits, or is dropped.
 */
class NioAttemptConsumerTest {

    private static final int LIMIT = 16;

    @Test
    void aBodyOfExactlyTheLimitIsHeldWholeAndNothingIsCommitted() throws Exception {
        Listener listener = new Listener(HeaderDecision.BUFFER, HeaderDecision.DELIVER);
        BasicAsyncResponseConsumer app = new BasicAsyncResponseConsumer();
        NioAttemptConsumer attempt = consumer(listener, app);

        attempt.responseReceived(response(-1));
        Decoder decoder = new Decoder(bytes(LIMIT));
        decoder.arrive(10);
        attempt.consumeContent(decoder, NO_IO);
        decoder.arrive(6);
        decoder.end();
        attempt.consumeContent(decoder, NO_IO);
        attempt.responseCompleted(new BasicHttpContext());

        assertEquals(List.of(10L, 6L), listener.reserved);
        assertEquals(0, listener.commits);
        NioExchange.Attempted result = attempt.getResult();
        assertFalse(result.delivered, "held for a retry");
        assertArrayEquals(bytes(LIMIT), result.body);
        assertNull(app.getResult(), "the application's consumer heard nothing");
    }

    @Test
    void aBodyPastTheLimitIsCommittedAndTheApplicationGetsHeldBytesThenTheStream() throws Exception {
        Listener listener = new Listener(HeaderDecision.BUFFER, HeaderDecision.DELIVER);
        BasicAsyncResponseConsumer app = new BasicAsyncResponseConsumer();
        NioAttemptConsumer attempt = consumer(listener, app);

        attempt.responseReceived(response(-1));
        Decoder decoder = new Decoder(bytes(40));
        decoder.arrive(10);
        attempt.consumeContent(decoder, NO_IO);
        decoder.arrive(10);
        attempt.consumeContent(decoder, NO_IO);
        assertEquals(List.of(10L, 10L), listener.reserved, "the second chunk was refused before it was held");
        assertEquals(1, listener.commits);

        decoder.arrive(20);
        decoder.end();
        attempt.consumeContent(decoder, NO_IO);
        attempt.responseCompleted(new BasicHttpContext());

        assertEquals(1, listener.commits);
        assertEquals(List.of(10L, 10L), listener.reserved, "nothing reserved after the commit");
        NioExchange.Attempted result = attempt.getResult();
        assertTrue(result.delivered);
        HttpResponse delivered = (HttpResponse) result.value;
        assertEquals(503, delivered.getStatusLine().getStatusCode());
        assertArrayEquals(bytes(40), EntityUtils.toByteArray(delivered.getEntity()), "every byte, in order");
    }

    @Test
    void aBodyPastTheLimitWhenAnotherAttemptWonIsDroppedAndTheConnectionReadToItsEnd() throws Exception {
        Listener listener = new Listener(HeaderDecision.BUFFER, HeaderDecision.DISCARD);
        BasicAsyncResponseConsumer app = new BasicAsyncResponseConsumer();
        NioAttemptConsumer attempt = consumer(listener, app);

        attempt.responseReceived(response(-1));
        Decoder decoder = new Decoder(bytes(30));
        decoder.arrive(20);
        attempt.consumeContent(decoder, NO_IO);
        decoder.arrive(10);
        decoder.end();
        attempt.consumeContent(decoder, NO_IO);
        attempt.responseCompleted(new BasicHttpContext());

        assertEquals(List.of(20L), listener.reserved);
        assertEquals(1, listener.commits);
        assertTrue(decoder.isCompleted());
        assertFalse(attempt.getResult().delivered);
        assertEquals(0, attempt.getResult().body.length);
        assertNull(app.getResult());
    }

    @Test
    void theAnnouncedLengthGoesToTheEngineAtTheHead() throws Exception {
        Listener listener = new Listener(HeaderDecision.DELIVER, HeaderDecision.DELIVER);
        BasicAsyncResponseConsumer app = new BasicAsyncResponseConsumer();
        NioAttemptConsumer attempt = consumer(listener, app);

        attempt.responseReceived(response(1000));
        Decoder decoder = new Decoder(bytes(1000));
        decoder.arrive(1000);
        decoder.end();
        attempt.consumeContent(decoder, NO_IO);
        attempt.responseCompleted(new BasicHttpContext());

        assertEquals(1000L, listener.length);
        assertTrue(listener.reserved.isEmpty(), "a committed body is not held");
        assertArrayEquals(bytes(1000), EntityUtils.toByteArray(((HttpResponse) attempt.getResult().value).getEntity()));
    }

    @SuppressWarnings("unchecked")
    private static NioAttemptConsumer consumer(Listener listener, BasicAsyncResponseConsumer app) {
        NioExchange exchange = new NioExchange(null, null, new HttpHost("localhost", 80),
                new BasicHttpRequest("GET", "/"), (HttpAsyncResponseConsumer<Object>) (HttpAsyncResponseConsumer<?>) app,
                null);
        return new NioAttemptConsumer(listener, exchange, new BasicHttpContext());
    }

    private static HttpResponse response(long length) {
        BasicHttpResponse response = new BasicHttpResponse(HttpVersion.HTTP_1_1, 503, "Service Unavailable");
        BasicHttpEntity entity = new BasicHttpEntity();
        entity.setContentLength(length);
        entity.setChunked(length < 0);
        response.setEntity(entity);
        return response;
    }

    private static byte[] bytes(int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            out.write(i * 7);
        }
        return out.toByteArray();
    }

    private static final IOControl NO_IO = BufferedContent.NO_IO;

    /** A connection's decoder over {@code body}, of which only what has arrived can be read. */
    private static final class Decoder implements ContentDecoder {
        private final ByteBuffer body;
        private boolean ended;

        Decoder(byte[] body) {
            this.body = ByteBuffer.wrap(body);
            this.body.limit(0);
        }

        void arrive(int n) {
            body.limit(body.limit() + n);
        }

        void end() {
            ended = true;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (!body.hasRemaining()) {
                return ended ? -1 : 0;
            }
            int n = Math.min(dst.remaining(), body.remaining());
            ByteBuffer slice = body.duplicate();
            slice.limit(slice.position() + n);
            dst.put(slice);
            body.position(body.position() + n);
            return n;
        }

        @Override
        public boolean isCompleted() {
            return ended && !body.hasRemaining();
        }
    }

    /** The engine's side: decides at the head, grants up to {@link #LIMIT} bytes, answers a commit. */
    private static final class Listener implements AttemptListener<NioExchange.Attempted> {
        private final HeaderDecision atHead;
        private final HeaderDecision atCommit;
        final List<Long> reserved = new ArrayList<>();
        long held;
        long length = Long.MIN_VALUE;
        int commits;

        Listener(HeaderDecision atHead, HeaderDecision atCommit) {
            this.atHead = atHead;
            this.atCommit = atCommit;
        }

        @Override
        public HeaderDecision onHeaders(int status, long contentLength) {
            length = contentLength;
            return atHead;
        }

        @Override
        public boolean reserve(long bytes) {
            reserved.add(bytes);
            if (held + bytes > LIMIT) {
                return false;
            }
            held += bytes;
            return true;
        }

        @Override
        public HeaderDecision commit() {
            commits++;
            return atCommit;
        }

        @Override
        public void onResponse(NioExchange.Attempted response) {
        }

        @Override
        public void onFailure(Throwable failure) {
        }
    }
}
