package io.tailguard.it.app;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.http.HttpEntityEnclosingRequest;
import org.apache.http.HttpHost;
import org.apache.http.HttpResponse;
import org.apache.http.client.methods.HttpUriRequest;
import org.apache.http.concurrent.FutureCallback;
import org.apache.http.entity.ContentType;
import org.apache.http.impl.nio.client.CloseableHttpAsyncClient;
import org.apache.http.impl.nio.client.HttpAsyncClientBuilder;
import org.apache.http.impl.nio.client.HttpAsyncClients;
import org.apache.http.impl.nio.conn.PoolingNHttpClientConnectionManager;
import org.apache.http.impl.nio.reactor.DefaultConnectingIOReactor;
import org.apache.http.nio.IOControl;
import org.apache.http.nio.client.methods.AsyncByteConsumer;
import org.apache.http.nio.client.methods.HttpAsyncMethods;
import org.apache.http.nio.entity.NStringEntity;
import org.apache.http.pool.PoolStats;
import org.apache.http.protocol.HttpContext;

/**
 * Apache HttpAsyncClient 4.1: {@code HttpAsyncClients.custom()} with a pooling connection manager
 * at its defaults (2 connections per route), or {@code pool=N} per route (and in all where that is
 * more); {@code systemProperties=on} has it read the JVM's proxy (and other) system properties;
 * {@code credentials} or {@code proxyCredentials} ({@link Login}) gives it a credentials provider.
 * Request bodies: {@code bytes} a {@code ByteArrayEntity}, {@code string} an {@code NStringEntity}
 * (an entity that is its own content producer), {@code oneShot} an {@code InputStreamEntity}. Every
 * call counts the outcomes its callback reports; {@code inspect} also answers
 * {@code extraOutcomes}, the calls of this application that reported more than one. A call with
 * {@code consume=count} is sent with {@code HttpAsyncMethods.create(request)} and a streaming
 * {@code AsyncByteConsumer} that counts and checksums the body as it arrives, the way code reading
 * a body larger than its heap does.
 */
public abstract class Apache4AsyncDriver implements ClientDriver {

    private final Map<String, Pooled> clients = new ConcurrentHashMap<>();
    private final Map<String, Future<?>> pending = new ConcurrentHashMap<>();

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        CloseableHttpAsyncClient client = pooled(call).client;
        HttpUriRequest request = request(call);
        return Outcomes.timed(result -> {
            AtomicInteger outcomes = new AtomicInteger();
            CompletableFuture<HttpResponse> done = new CompletableFuture<>();
            FutureCallback<HttpResponse> callback = new FutureCallback<HttpResponse>() {
                @Override
                public void completed(HttpResponse response) {
                    Outcomes.outcome(outcomes);
                    done.complete(response);
                }

                @Override
                public void failed(Exception failure) {
                    Outcomes.outcome(outcomes);
                    done.completeExceptionally(failure);
                }

                @Override
                public void cancelled() {
                    Outcomes.outcome(outcomes);
                    done.cancel(false);
                }
            };
            Counting counting = Outcomes.counting() ? new Counting() : null;
            HttpResponse response = execute(client, request, counting, callback, done, call.get("key"));
            if (counting == null) {
                Apache4Driver.describe(response, result);
            } else {
                result.put("status", Integer.toString(response.getStatusLine().getStatusCode()));
                result.put("body", "");
                result.put("bodyBytes", Long.toString(counting.count));
                result.put("bodyCrc", Long.toString(counting.crc.getValue()));
            }
        });
    }

    @Override
    public Map<String, String> inspect(Map<String, String> command) {
        PoolStats stats = pooled(command).connections.getTotalStats();
        Map<String, String> reply = new HashMap<>(Outcomes.poolStats(stats.getLeased(), stats.getAvailable(),
                stats.getPending()));
        reply.put("extraOutcomes", Long.toString(Outcomes.EXTRA_OUTCOMES.get()));
        return reply;
    }

    /** {@code Future.cancel(true)} of the call made with option {@code key}. */
    @Override
    public Map<String, String> cancel(Map<String, String> command) {
        Future<?> future = pending.remove(command.get("key"));
        return Map.of("cancelled", Boolean.toString(future != null && future.cancel(true)));
    }

    /**
     * Starts the call and waits for its response; the future it got is kept under {@code key}
     * (when not {@code null}) for {@link #cancel}. With {@code counting} (not {@code null}) the
     * body streams into it.
     */
    abstract HttpResponse execute(CloseableHttpAsyncClient client, HttpUriRequest request, Counting counting,
            FutureCallback<HttpResponse> callback, CompletableFuture<HttpResponse> done, String key) throws Exception;

    /** Counts and checksums a body as the client delivers it ({@code consume=count}). */
    static final class Counting extends AsyncByteConsumer<HttpResponse> {
        final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        volatile long count;
        private HttpResponse response;

        @Override
        protected void onResponseReceived(HttpResponse response) {
            this.response = response;
        }

        @Override
        protected void onByteReceived(java.nio.ByteBuffer bytes, IOControl ioControl) {
            count += bytes.remaining();
            crc.update(bytes);
        }

        @Override
        protected HttpResponse buildResult(HttpContext context) {
            return response;
        }
    }

    void keep(String key, Future<?> future) {
        if (key != null) {
            pending.put(key, future);
        }
    }

    private Pooled pooled(Map<String, String> call) {
        String key = call.getOrDefault("pool", "default") + "/" + call.getOrDefault("systemProperties", "off") + "/"
                + Login.key(call) + "/" + ClientProxy.key(call);
        return clients.computeIfAbsent(key, k -> {
            try {
                PoolingNHttpClientConnectionManager connections =
                        new PoolingNHttpClientConnectionManager(new DefaultConnectingIOReactor());
                if (call.containsKey("pool")) {
                    int perRoute = Integer.parseInt(call.get("pool"));
                    connections.setDefaultMaxPerRoute(perRoute);
                    connections.setMaxTotal(Math.max(connections.getMaxTotal(), perRoute));
                }
                HttpAsyncClientBuilder builder = HttpAsyncClients.custom().setConnectionManager(connections);
                if ("on".equals(call.get("systemProperties"))) {
                    builder.useSystemProperties();
                }
                ClientProxy proxy = ClientProxy.of(call);
                if (proxy != null) {
                    builder.setProxy(new HttpHost(proxy.host, proxy.port));
                }
                Login login = Login.of(call);
                if (login != null) {
                    builder.setDefaultCredentialsProvider(Apache4Driver.credentials(login));
                }
                CloseableHttpAsyncClient client = builder.build();
                client.start();
                return new Pooled(connections, client);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The classic driver's request, with an {@code NStringEntity} for {@code string}. */
    static HttpUriRequest request(Map<String, String> call) {
        HttpUriRequest request = Apache4Driver.request(call);
        if ("string".equals(call.get("bodyKind"))) {
            ((HttpEntityEnclosingRequest) request).setEntity(
                    new NStringEntity(call.getOrDefault("body", ""), ContentType.TEXT_PLAIN));
        }
        return request;
    }

    private static final class Pooled {
        final PoolingNHttpClientConnectionManager connections;
        final CloseableHttpAsyncClient client;

        Pooled(PoolingNHttpClientConnectionManager connections, CloseableHttpAsyncClient client) {
            this.connections = connections;
            this.client = client;
        }
    }

    /** {@code execute(HttpUriRequest, FutureCallback)}, then waiting for the future it returns. */
    public static final class WithFuture extends Apache4AsyncDriver {
        @Override
        HttpResponse execute(CloseableHttpAsyncClient client, HttpUriRequest request, Counting counting,
                FutureCallback<HttpResponse> callback, CompletableFuture<HttpResponse> done, String key)
                throws Exception {
            Future<HttpResponse> future = counting == null ? client.execute(request, callback)
                    : client.execute(HttpAsyncMethods.create(request), counting, callback);
            keep(key, future);
            return future.get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code execute(HttpAsyncRequestProducer, HttpAsyncResponseConsumer, FutureCallback)} with
     * {@code HttpAsyncMethods}' producer and consumer; the application waits for its callback only.
     */
    public static final class WithCallback extends Apache4AsyncDriver {
        @Override
        HttpResponse execute(CloseableHttpAsyncClient client, HttpUriRequest request, Counting counting,
                FutureCallback<HttpResponse> callback, CompletableFuture<HttpResponse> done, String key)
                throws Exception {
            keep(key, client.execute(HttpAsyncMethods.create(request),
                    counting != null ? counting : HttpAsyncMethods.createConsumer(), callback));
            return done.get(60, TimeUnit.SECONDS);
        }
    }
}
