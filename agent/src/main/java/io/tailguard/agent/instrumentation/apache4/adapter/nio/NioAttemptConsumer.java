package io.tailguard.agent.instrumentation.apache4.adapter.nio;

import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.HeaderDecision;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.http.Header;
import org.apache.http.HttpException;
import org.apache.http.HttpResponse;
import org.apache.http.nio.ContentDecoder;
import org.apache.http.nio.IOControl;
import org.apache.http.nio.protocol.HttpAsyncResponseConsumer;
import org.apache.http.protocol.HttpContext;

/**
 * One attempt's response consumer. When the head arrives it asks the engine what to do with the
 * body: the winner's response goes on to the application's consumer from then on; a retryable
 * response is buffered; a response nobody will use is read and dropped, which keeps its
 * connection reusable. Only one attempt of a request is ever told to deliver.
 */
final class NioAttemptConsumer implements HttpAsyncResponseConsumer<NioExchange.Attempted> {

    private final AttemptListener<NioExchange.Attempted> listener;
    private final NioExchange exchange;
    private final HttpContext attemptContext;
    private volatile HeaderDecision decision;
    private volatile HttpResponse head;
    private ByteArrayOutputStream buffer;
    private ByteBuffer chunk;
    private volatile NioExchange.Attempted result;
    private volatile Exception failure;
    private volatile boolean done;

    NioAttemptConsumer(AttemptListener<NioExchange.Attempted> listener, NioExchange exchange,
            HttpContext attemptContext) {
        this.listener = listener;
        this.exchange = exchange;
        this.attemptContext = attemptContext;
    }

    private boolean delivering() {
        return decision == HeaderDecision.DELIVER;
    }

    @Override
    public void responseReceived(HttpResponse response) throws IOException, HttpException {
        Header retryAfter = response.getFirstHeader("Retry-After");
        HeaderDecision decided = listener.onHeaders(response.getStatusLine().getStatusCode(),
                retryAfter == null ? null : retryAfter.getValue());
        head = response;
        if (decided == HeaderDecision.DELIVER) {
            exchange.consumerUsed();
            decision = decided;
            exchange.consumer().responseReceived(response);
            return;
        }
        buffer = decided == HeaderDecision.BUFFER ? new ByteArrayOutputStream() : null;
        decision = decided;
    }

    @Override
    public void consumeContent(ContentDecoder decoder, IOControl ioControl) throws IOException {
        if (delivering()) {
            exchange.consumer().consumeContent(decoder, ioControl);
            return;
        }
        if (chunk == null) {
            chunk = ByteBuffer.allocate(8192);
        }
        while (decoder.read(chunk) > 0) {
            chunk.flip();
            if (buffer != null) {
                keep(chunk);
            }
            chunk.clear();
        }
    }

    /**
     * The one place a retryable response's body is held in memory, until the engine knows whether
     * it is the final answer.
     */
    private void keep(ByteBuffer bytes) {
        buffer.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
    }

    @Override
    public void responseCompleted(HttpContext context) {
        if (delivering()) {
            exchange.consumer().responseCompleted(context);
            result = new NioExchange.Attempted(head, attemptContext, true, exchange.consumer().getResult(), null, null);
        } else {
            byte[] body = buffer == null ? new byte[0] : buffer.toByteArray();
            buffer = null;
            result = new NioExchange.Attempted(head, attemptContext, false, null, null, body);
        }
        done = true;
    }

    @Override
    public void failed(Exception cause) {
        failure = cause;
        if (delivering()) {
            exchange.consumer().failed(cause);
        }
    }

    @Override
    public Exception getException() {
        Exception own = failure;
        return own != null || !delivering() ? own : exchange.consumer().getException();
    }

    @Override
    public NioExchange.Attempted getResult() {
        return result;
    }

    @Override
    public boolean isDone() {
        return delivering() ? exchange.consumer().isDone() : done;
    }

    @Override
    public boolean cancel() {
        if (delivering()) {
            return exchange.consumer().cancel();
        }
        if (done) {
            return false;
        }
        done = true;
        return true;
    }

    @Override
    public void close() throws IOException {
        if (delivering()) {
            exchange.consumer().close();
        }
    }
}
