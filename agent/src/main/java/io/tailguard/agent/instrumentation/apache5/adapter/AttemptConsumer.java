package io.tailguard.agent.instrumentation.apache5.adapter;

import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.HeaderDecision;
import java.io.ByteArrayOutputStream;
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
 */
final class AttemptConsumer implements AsyncResponseConsumer<AsyncExchange.Attempted> {

    private final AttemptListener<AsyncExchange.Attempted> listener;
    private final AsyncExchange exchange;
    private final HttpClientContext attemptContext;
    private volatile HeaderDecision decision;
    private HttpResponse head;
    private EntityDetails details;
    private ByteArrayOutputStream buffer;
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
        Header retryAfter = response.getFirstHeader("Retry-After");
        HeaderDecision decided = listener.onHeaders(response.getCode(), retryAfter == null ? null : retryAfter.getValue());
        head = response;
        details = entityDetails;
        result = resultCallback;
        decision = decided;
        if (decided == HeaderDecision.DELIVER) {
            exchange.consumerUsed();
            exchange.consumer().consumeResponse(response, entityDetails, context, new FutureCallback<Object>() {
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
            return;
        }
        buffer = decided == HeaderDecision.BUFFER ? new ByteArrayOutputStream() : null;
        if (entityDetails == null) {
            finishBuffered();
        }
    }

    @Override
    public void informationResponse(HttpResponse response, HttpContext context) {
        // 1xx responses arrive before any attempt has won; the application's consumer only ever
        // hears of the winning attempt.
    }

    @Override
    public void updateCapacity(CapacityChannel channel) throws IOException {
        if (decision == HeaderDecision.DELIVER) {
            exchange.consumer().updateCapacity(channel);
        } else {
            channel.update(Integer.MAX_VALUE);
        }
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
        if (decision == HeaderDecision.DELIVER) {
            exchange.consumer().consume(src);
            return;
        }
        if (buffer != null) {
            byte[] chunk = new byte[src.remaining()];
            src.get(chunk);
            buffer.write(chunk, 0, chunk.length);
        } else {
            src.position(src.limit());
        }
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
        byte[] body = buffer == null ? new byte[0] : buffer.toByteArray();
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
