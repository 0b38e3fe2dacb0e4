package io.tailguard.agent.instrumentation.apache5.adapter;

import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.HeaderDecision;
import io.tailguard.agent.instrumentation.HeldBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * One attempt's response consumer. When the head arrives it asks the engine what to do with the
 * body: the winner's response goes on to the application's consumer from then on; a retryable
 * response is buffered; a response nobody will use is read and dropped, which keeps its
 * connection reusable. Only one attempt of a request is ever told to deliver.
 *
 * <p>Buffering is bounded: each chunk is reserved with the engine first, and the connection is
 * read at most {@link #HOLD_WINDOW} ahead of what was reserved. When a reservation is refused the
 * engine commits the request to this attempt (the application's consumer then gets the response
 * head, the bytes held and the rest of the stream, with its own flow control from there on) or
 * tells it another attempt won (the body is dropped).
 */
final class AttemptConsumer implements AsyncResponseConsumer<AsyncExchange.Attempted> {

    private final AttemptListener<AsyncExchange.Attempted> listener;
    private final AsyncExchange exchange;
    /** How far ahead of the bytes held the connection is read while holding a body. */
    private static final int HOLD_WINDOW = 65536;

    private final HttpClientContext attemptContext;
    private volatile HeaderDecision decision;
    private HttpResponse head;
    private EntityDetails details;
    private HttpContext responseContext;
    /** The body held while the decision is BUFFER; {@code null} otherwise. */
    private byte[] buffer;
    private int count;
    private FutureCallback<AsyncExchange.Attempted> result;

    AttemptConsumer(AttemptListener<AsyncExchange.Attempted> listener, AsyncExchange exchange,
            HttpClientContext attemptContext) {
        this.listener = listener;
        this.exchange = exchange;
        this.attemptContext = attemptContext;
    }

    @Override
    public void consumeResponse(HttpResponse response, EntityDetails entityDetails, HttpContext context,
            FutureCallback<AsyncExchange.Attempted> resultCallback) throws HttpException, IOException {
        long length = entityDetails == null ? 0 : entityDetails.isChunked() ? -1 : entityDetails.getContentLength();
        HeaderDecision decided = listener.onHeaders(response.getCode(), length);
        head = response;
        details = entityDetails;
        responseContext = context;
        result = resultCallback;
        decision = decided;
        if (decided == HeaderDecision.DELIVER) {
            deliverToApplication();
            return;
        }
        buffer = decided == HeaderDecision.BUFFER ? new byte[(int) Math.max(0, Math.min(length, 8192))] : null;
        if (entityDetails == null) {
            finishBuffered();
        }
    }

    /** From here on the application's consumer gets this response. */
    private void deliverToApplication() throws HttpException, IOException {
        decision = HeaderDecision.DELIVER;
        exchange.consumerUsed();
        HttpResponse response = head;
        EntityDetails entityDetails = details;
        FutureCallback<AsyncExchange.Attempted> resultCallback = result;
        exchange.consumer().consumeResponse(response, entityDetails, responseContext, new FutureCallback<Object>() {
            @Override
            public void completed(Object value) {
                resultCallback.completed(new AsyncExchange.Attempted(response, entityDetails, attemptContext,
                        true, value, null));
            }

            @Override
            public void failed(Exception failure) {
                resultCallback.failed(failure);
            }

            @Override
            public void cancelled() {
                resultCallback.cancelled();
            }
        });
    }

    @Override
    public void informationResponse(HttpResponse response, HttpContext context) {
        // 1xx responses arrive before any attempt has won; the application's consumer only ever
        // hears of the winning attempt.
    }

    @Override
    public void updateCapacity(CapacityChannel channel) throws IOException {
        HeaderDecision now = decision;
        if (now == HeaderDecision.DELIVER) {
            exchange.consumer().updateCapacity(channel);
        } else {
            // A body being held is read a window at a time, so that when it is committed the
            // application's consumer takes over the flow control with little read ahead of it.
            channel.update(now == HeaderDecision.BUFFER ? HOLD_WINDOW : Integer.MAX_VALUE);
        }
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
        if (decision == HeaderDecision.DELIVER) {
            exchange.consumer().consume(src);
            return;
        }
        if (buffer != null && hold(src)) {
            return;
        }
        if (decision == HeaderDecision.DELIVER) {
            exchange.consumer().consume(src);
        } else {
            src.position(src.limit());
        }
    }

    /**
     * @return whether {@code src} was held; if not, the body was committed (what was held went to
     *     the application's consumer already) or is to be dropped
     */
    private boolean hold(ByteBuffer src) throws IOException {
        ByteBuffer prefix;
        try {
            int n = src.remaining();
            byte[] larger = listener.reserve(n) ? HeldBytes.room(buffer, count, n) : null;
            if (larger != null) {
                buffer = larger;
                src.get(buffer, count, n);
                count += n;
                return true;
            }
            prefix = ByteBuffer.wrap(buffer, 0, count);
            buffer = null;
        } catch (RuntimeException | Error ours) {
            // Our own failure: the attempt fails with it instead of the client's I/O thread.
            buffer = null;
            decision = HeaderDecision.DISCARD;
            throw new IOException("response body could not be held", ours);
        }
        if (listener.commit() != HeaderDecision.DELIVER) {
            decision = HeaderDecision.DISCARD;
            return false;
        }
        try {
            deliverToApplication();
        } catch (HttpException e) {
            throw new IOException(e);
        }
        if (prefix.hasRemaining()) {
            exchange.consumer().consume(prefix);
        }
        return false;
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
        if (decision == HeaderDecision.DELIVER) {
            exchange.consumer().streamEnd(trailers);
        } else {
            finishBuffered();
        }
    }

    private void finishBuffered() {
        byte[] body = buffer == null ? new byte[0] : buffer.length == count ? buffer
                : java.util.Arrays.copyOf(buffer, count);
        result.completed(new AsyncExchange.Attempted(head, details, attemptContext, false, null, body));
    }

    @Override
    public void failed(Exception cause) {
        if (decision == HeaderDecision.DELIVER) {
            exchange.consumer().failed(cause);
        }
    }

    @Override
    public void releaseResources() {
        if (decision == HeaderDecision.DELIVER) {
            exchange.consumer().releaseResources();
        }
    }
}
