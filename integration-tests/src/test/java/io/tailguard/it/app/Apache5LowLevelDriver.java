package io.tailguard.it.app;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.async.MinimalHttpAsyncClient;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.RequestChannel;
import org.apache.hc.core5.http.nio.entity.StringAsyncEntityConsumer;
import org.apache.hc.core5.http.nio.support.AsyncRequestBuilder;
import org.apache.hc.core5.http.nio.support.BasicClientExchangeHandler;
import org.apache.hc.core5.http.nio.support.BasicResponseConsumer;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Apache HttpClient 5's low-level async API, as frameworks use it: {@code createMinimal()}'s
 * {@code execute(AsyncClientExchangeHandler)} with a {@code BasicClientExchangeHandler}, or
 * {@code execute(producer, consumer, ...)} with {@code AsyncRequestBuilder}'s producer or with a
 * request producer class of the application's own.
 * GET only.
 */
public abstract class Apache5LowLevelDriver implements ClientDriver {

    private final MinimalHttpAsyncClient client = HttpAsyncClients.createMinimal();

    Apache5LowLevelDriver() {
        client.start();
    }

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        return Outcomes.timed(result -> {
            AsyncRequestProducer producer = AsyncRequestBuilder.get(call.get("url")).build();
            CompletableFuture<Message<HttpResponse, String>> done = new CompletableFuture<>();
            FutureCallback<Message<HttpResponse, String>> callback = new FutureCallback<>() {
                @Override
                public void completed(Message<HttpResponse, String> message) {
                    done.complete(message);
                }

                @Override
                public void failed(Exception failure) {
                    done.completeExceptionally(failure);
                }

                @Override
                public void cancelled() {
                    done.cancel(false);
                }
            };
            execute(client, producer, new BasicResponseConsumer<>(new StringAsyncEntityConsumer()), callback);
            Message<HttpResponse, String> response = done.get(60, TimeUnit.SECONDS);
            result.put("status", Integer.toString(response.getHead().getCode()));
            result.put("body", response.getBody() == null ? "" : response.getBody());
        });
    }

    abstract void execute(MinimalHttpAsyncClient client, AsyncRequestProducer producer,
            BasicResponseConsumer<String> consumer, FutureCallback<Message<HttpResponse, String>> callback);

    /** {@code execute(AsyncClientExchangeHandler)}. */
    public static final class ExchangeHandler extends Apache5LowLevelDriver {
        @Override
        void execute(MinimalHttpAsyncClient client, AsyncRequestProducer producer,
                BasicResponseConsumer<String> consumer, FutureCallback<Message<HttpResponse, String>> callback) {
            client.execute(new BasicClientExchangeHandler<>(producer, consumer, callback));
        }
    }

    /** {@code execute(AsyncRequestProducer, AsyncResponseConsumer, FutureCallback)} with {@code AsyncRequestBuilder}'s producer. */
    public static final class ClientsProducer extends Apache5LowLevelDriver {
        @Override
        void execute(MinimalHttpAsyncClient client, AsyncRequestProducer producer,
                BasicResponseConsumer<String> consumer, FutureCallback<Message<HttpResponse, String>> callback) {
            client.execute(producer, consumer, callback);
        }
    }

    /** {@code execute(AsyncRequestProducer, AsyncResponseConsumer, FutureCallback)} with the application's own producer. */
    public static final class OwnProducer extends Apache5LowLevelDriver {
        @Override
        void execute(MinimalHttpAsyncClient client, AsyncRequestProducer producer,
                BasicResponseConsumer<String> consumer, FutureCallback<Message<HttpResponse, String>> callback) {
            client.execute(new Delegating(producer), consumer, callback);
        }
    }

    private static final class Delegating implements AsyncRequestProducer {
        private final AsyncRequestProducer delegate;

        Delegating(AsyncRequestProducer delegate) {
            this.delegate = delegate;
        }

        @Override
        public void sendRequest(RequestChannel channel, HttpContext context) throws HttpException, IOException {
            delegate.sendRequest(channel, context);
        }

        @Override
        public boolean isRepeatable() {
            return delegate.isRepeatable();
        }

        @Override
        public void failed(Exception cause) {
            delegate.failed(cause);
        }

        @Override
        public int available() {
            return delegate.available();
        }

        @Override
        public void produce(DataStreamChannel channel) throws IOException {
            delegate.produce(channel);
        }

        @Override
        public void releaseResources() {
            delegate.releaseResources();
        }
    }
}
