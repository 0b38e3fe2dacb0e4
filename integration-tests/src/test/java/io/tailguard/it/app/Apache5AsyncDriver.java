package io.tailguard.it.app;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.entity.BasicAsyncEntityProducer;
import org.apache.hc.core5.http.nio.entity.StringAsyncEntityConsumer;
import org.apache.hc.core5.http.nio.support.AsyncRequestBuilder;
import org.apache.hc.core5.http.nio.support.BasicResponseConsumer;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.pool.PoolStats;

/**
 * Apache HttpClient 5 async: {@code HttpAsyncClients.custom()} with a pooling connection manager at
 * its defaults (5 per route; over TLS, HTTP/2 where ALPN agrees on it), or {@code pool=N} per route
 * (and in all where that is more), {@code version=1.1} (HTTP/1.1 only), {@code multiplexing=on}
 * (HTTP/2 connections shared), {@code systemProperties=on} (the JVM's proxy and other system
 * properties read), {@code credentials} or {@code proxyCredentials} ({@link Login}: a credentials
 * provider). {@link Simple} sends a {@code SimpleHttpRequest}
 * ({@code execute(SimpleHttpRequest, callback)}); {@link Streaming} sends an
 * {@code AsyncRequestBuilder} producer with a {@code BasicResponseConsumer}, the way code that
 * streams does; its {@code bodyKind=oneShot} entity producer is not repeatable.
 */
public abstract class Apache5AsyncDriver implements ClientDriver {

    private final Map<String, Pooled> clients = new ConcurrentHashMap<>();

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        CloseableHttpAsyncClient client = pooled(call).client;
        return Outcomes.timed(result -> execute(client, call, result));
    }

    @Override
    public Map<String, String> inspect(Map<String, String> command) {
        PoolStats stats = pooled(command).connections.getTotalStats();
        return Outcomes.poolStats(stats.getLeased(), stats.getAvailable(), stats.getPending());
    }

    abstract void execute(CloseableHttpAsyncClient client, Map<String, String> call, Map<String, String> result)
            throws Exception;

    private Pooled pooled(Map<String, String> call) {
        String key = call.getOrDefault("pool", "default") + "/" + call.getOrDefault("clientRetry", "on") + "/"
                + call.getOrDefault("version", "negotiate") + "/" + call.getOrDefault("multiplexing", "off") + "/"
                + call.getOrDefault("systemProperties", "off") + "/" + Login.key(call) + "/" + ClientProxy.key(call);
        return clients.computeIfAbsent(key, k -> {
            PoolingAsyncClientConnectionManagerBuilder connections = PoolingAsyncClientConnectionManagerBuilder.create();
            if (call.containsKey("pool")) {
                int perRoute = Integer.parseInt(call.get("pool"));
                connections.setMaxConnPerRoute(perRoute);
                connections.setMaxConnTotal(Math.max(25, perRoute));
            }
            if ("1.1".equals(call.get("version"))) {
                connections.setDefaultTlsConfig(TlsConfig.custom().setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1).build());
            }
            if ("on".equals(call.get("multiplexing"))) {
                // HTTP/2 connections shared between exchanges (5.5 and later).
                connections.setMessageMultiplexing(true);
            }
            PoolingAsyncClientConnectionManager manager = connections.build();
            HttpAsyncClientBuilder builder = HttpAsyncClients.custom().setConnectionManager(manager);
            if ("off".equals(call.get("clientRetry"))) {
                builder.disableAutomaticRetries();
            }
            if ("on".equals(call.get("systemProperties"))) {
                builder.useSystemProperties();
            }
            ClientProxy proxy = ClientProxy.of(call);
            if (proxy != null) {
                builder.setProxy(new HttpHost(proxy.host, proxy.port));
            }
            Login login = Login.of(call);
            if (login != null) {
                builder.setDefaultCredentialsProvider(Apache5Driver.credentials(login));
            }
            if ("custom".equals(call.get("clientRetry"))) {
                builder.setRetryStrategy(new AppOwnRetries.Strategy5());
            }
            CloseableHttpAsyncClient client = builder.build();
            client.start();
            return new Pooled(manager, client);
        });
    }

    static void note(HttpResponse response, Map<String, String> result) {
        Header note = response.getFirstHeader("X-Server-Note");
        if (note != null) {
            result.put("note", note.getValue());
        }
    }

    private static final class Pooled {
        final PoolingAsyncClientConnectionManager connections;
        final CloseableHttpAsyncClient client;

        Pooled(PoolingAsyncClientConnectionManager connections, CloseableHttpAsyncClient client) {
            this.connections = connections;
            this.client = client;
        }
    }

    /** {@code execute(SimpleHttpRequest, FutureCallback)}, then waiting for the future. */
    public static final class Simple extends Apache5AsyncDriver {
        @Override
        void execute(CloseableHttpAsyncClient client, Map<String, String> call, Map<String, String> result)
                throws Exception {
            SimpleRequestBuilder builder = SimpleRequestBuilder.create(call.getOrDefault("method", "GET"))
                    .setUri(call.get("url"));
            String body = call.getOrDefault("body", "");
            switch (call.getOrDefault("bodyKind", "none")) {
                case "string":
                    builder.setBody(body, ContentType.TEXT_PLAIN);
                    break;
                case "bytes":
                    builder.setBody(body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            ContentType.APPLICATION_OCTET_STREAM);
                    break;
                default:
                    break;
            }
            Outcomes.headers(call, builder::addHeader);
            SimpleHttpRequest request = builder.build();
            java.util.concurrent.atomic.AtomicInteger outcomes = new java.util.concurrent.atomic.AtomicInteger();
            Future<SimpleHttpResponse> future = client.execute(request,
                    new org.apache.hc.core5.concurrent.FutureCallback<SimpleHttpResponse>() {
                        @Override
                        public void completed(SimpleHttpResponse response) {
                            Outcomes.outcome(outcomes);
                        }

                        @Override
                        public void failed(Exception failure) {
                            Outcomes.outcome(outcomes);
                        }

                        @Override
                        public void cancelled() {
                            Outcomes.outcome(outcomes);
                        }
                    });
            SimpleHttpResponse response = future.get(60, TimeUnit.SECONDS);
            result.put("status", Integer.toString(response.getCode()));
            result.put("body", response.getBodyText() == null ? "" : response.getBodyText());
            note(response, result);
        }
    }

    /** {@code execute(AsyncRequestProducer, AsyncResponseConsumer, FutureCallback)}. */
    public static final class Streaming extends Apache5AsyncDriver {
        @Override
        void execute(CloseableHttpAsyncClient client, Map<String, String> call, Map<String, String> result)
                throws Exception {
            AsyncRequestBuilder builder = AsyncRequestBuilder.create(call.getOrDefault("method", "GET"))
                    .setUri(call.get("url"));
            byte[] bytes = call.getOrDefault("body", "").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            AsyncEntityProducer entity = null;
            switch (call.getOrDefault("bodyKind", "none")) {
                case "bytes":
                case "string":
                    entity = new BasicAsyncEntityProducer(bytes, ContentType.APPLICATION_OCTET_STREAM);
                    break;
                case "oneShot":
                    entity = new BasicAsyncEntityProducer(bytes, ContentType.APPLICATION_OCTET_STREAM) {
                        @Override
                        public boolean isRepeatable() {
                            return false;
                        }
                    };
                    break;
                default:
                    break;
            }
            if (entity != null) {
                builder.setEntity(entity);
            }
            Outcomes.headers(call, builder::addHeader);
            boolean counting = Outcomes.counting();
            Future<Message<HttpResponse, String>> future = client.execute(builder.build(),
                    new BasicResponseConsumer<>(counting ? new CountingConsumer() : new StringAsyncEntityConsumer()),
                    null);
            Message<HttpResponse, String> response = future.get(60, TimeUnit.SECONDS);
            result.put("status", Integer.toString(response.getHead().getCode()));
            if (counting && response.getBody() != null) {
                String[] counted = response.getBody().split(":");
                result.put("body", "");
                result.put("bodyBytes", counted[0]);
                result.put("bodyCrc", counted[1]);
            } else {
                result.put("body", response.getBody() == null ? "" : response.getBody());
            }
            note(response.getHead(), result);
        }
    }

    /** Counts and checksums a body as it streams in ({@code consume=count}): {@code "bytes:crc"}. */
    private static final class CountingConsumer
            extends org.apache.hc.core5.http.nio.entity.AbstractBinAsyncEntityConsumer<String> {
        private final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        private long count;

        @Override
        protected void streamStart(ContentType contentType) {
        }

        @Override
        protected int capacityIncrement() {
            return 65536;
        }

        @Override
        protected void data(java.nio.ByteBuffer src, boolean endOfStream) {
            count += src.remaining();
            crc.update(src);
        }

        @Override
        protected String generateContent() {
            return count + ":" + crc.getValue();
        }

        @Override
        public void releaseResources() {
        }
    }
}
