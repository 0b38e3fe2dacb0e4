package io.tailguard.agent.instrumentation.apache4.adapter.nio;

import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.HeaderDecision;
import io.tailguard.agent.instrumentation.HeldBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.http.HttpEntity;
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
 *
 * <p>Buffering is bounded: a body whose announced length is more than may be held is committed at
 * its head (the engine answers DELIVER), and each chunk of any other is reserved with the engine
 * before it is held. When a reservation is refused the engine commits the request to this attempt
 * (the application's consumer then gets the response head, the bytes held and the rest of the body
 * as the client delivers it, with the client's own I/O control) or tells it another attempt won
 * (the body is dropped). Chunks are read as the client hands them over, so little is read ahead of
 * the application's consumer when it takes over.
 */
final class NioAttemptConsumer implements HttpAsyncResponseConsumer<NioExchange.Attempted> {

    private final AttemptListener<NioExchange.Attempted> listener;
    private final NioExchange exchange;
    private final HttpContext attemptContext;
    private volatile HeaderDecision decision;
    private volatile HttpResponse head;
    /** The body held while the decision is BUFFER; {@code null} otherwise. */
    private byte[] buffer;
    private int count;
    private ByteBuffer chunk;
    /** A committed body's bytes the application's consumer has not read yet; {@code null} when none. */
    private BufferedContent pending;
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
        // The connection sets an entity announcing the length (-1 when chunked or delimited by
        // close) on every response that has a body, before the consumer hears of it.
        HttpEntity entity = response.getEntity();
        long length = entity == null ? 0 : entity.isChunked() ? -1 : entity.getContentLength();
        HeaderDecision decided = listener.onHeaders(response.getStatusLine().getStatusCode(), length);
        head = response;
        if (decided == HeaderDecision.DELIVER) {
            deliverToApplication();
            return;
        }
        buffer = decided == HeaderDecision.BUFFER ? new byte[(int) Math.max(0, Math.min(length, 8192))] : null;
        decision = decided;
    }

    /** From here on the application's consumer gets this response. */
    private void deliverToApplication() throws IOException, HttpException {
        exchange.consumerUsed();
        decision = HeaderDecision.DELIVER;
        exchange.consumer().responseReceived(head);
    }

    @Override
    public void consumeContent(ContentDecoder decoder, IOControl ioControl) throws IOException {
        if (delivering()) {
            deliverContent(decoder, ioControl);
            return;
        }
        if (chunk == null) {
            chunk = ByteBuffer.allocate(8192);
        }
        while (decoder.read(chunk) > 0) {
            chunk.flip();
            if (buffer != null && !keep(chunk) && delivering()) {
                // Committed: the application's consumer reads what was held, this chunk, and on
                // from the connection; the client goes on calling it from now on.
                pending = new BufferedContent(ByteBuffer.wrap(buffer, 0, count), chunk);
                buffer = null;
                chunk = null;
                deliverContent(decoder, ioControl);
                return;
            }
            chunk.clear();
        }
    }

    /** The client's content for the application's consumer, after any bytes it has not read yet. */
    private void deliverContent(ContentDecoder decoder, IOControl ioControl) throws IOException {
        BufferedContent held = pending;
        if (held == null) {
            exchange.consumer().consumeContent(decoder, ioControl);
            return;
        }
        held.feed(exchange.consumer(), decoder, ioControl);
        if (!held.holding()) {
            pending = null;
        }
    }

    /**
     * The one place a retryable response's body is held in memory, until the engine knows whether
     * it is the final answer: each chunk is reserved with the engine first.
     *
     * @return whether {@code bytes} were held; if not, the body was committed (the decision is now
     *     DELIVER and the application's consumer has the head) or is to be dropped
     */
    private boolean keep(ByteBuffer bytes) throws IOException {
        try {
            int n = bytes.remaining();
            byte[] larger = listener.reserve(n) ? HeldBytes.room(buffer, count, n) : null;
            if (larger != null) {
                buffer = larger;
                bytes.get(buffer, count, n);
                count += n;
                return true;
            }
        } catch (RuntimeException | Error ours) {
            // Our own failure: the attempt fails with it instead of the client's I/O thread.
            buffer = null;
            decision = HeaderDecision.DISCARD;
            throw new IOException("response body could not be held", ours);
        }
        if (listener.commit() != HeaderDecision.DELIVER) {
            buffer = null;
            decision = HeaderDecision.DISCARD;
            return false;
        }
        try {
            deliverToApplication();
        } catch (HttpException e) {
            throw new IOException(e);
        }
        return false;
    }

    @Override
    public void responseCompleted(HttpContext context) {
        if (delivering()) {
            BufferedContent held = pending;
            if (held != null) {
                // The connection's part is complete; the consumer still gets what it left unread.
                pending = null;
                try {
                    held.feed(exchange.consumer(), null, BufferedContent.NO_IO);
                } catch (IOException | RuntimeException e) {
                    // As when its consumeContent fails on the connection: the exchange fails with it.
                    failure = e;
                    exchange.consumer().failed(e);
                    done = true;
                    return;
                }
            }
            exchange.consumer().responseCompleted(context);
            result = new NioExchange.Attempted(head, attemptContext, true, exchange.consumer().getResult(), null, null);
        } else {
            byte[] body = buffer == null ? new byte[0] : buffer.length == count ? buffer : Arrays.copyOf(buffer, count);
            buffer = null;
            result = new NioExchange.Attempted(head, attemptContext, false, null, null, body);
        }
        done = true;
    }

    @Override
    public void failed(Exception cause) {
        failure = cause;
        buffer = null;
        pending = null;
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
