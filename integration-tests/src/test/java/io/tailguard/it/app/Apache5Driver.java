package io.tailguard.it.app;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.http.io.support.ClassicRequestBuilder;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolStats;

/**
 * Apache HttpClient 5 classic: {@code HttpClients.custom()} with a pooling connection manager at
 * its defaults (5 per route, 25 in all), or {@code pool=N} per route (and in all where that is
 * more). {@code clientRetry=off} disables the client's own retries (by default it retries I/O
 * failures and 429/503 once); {@code clientRetry=custom} sets the application's own strategy
 * ({@link AppOwnRetries}); {@code systemProperties=on} has it read the JVM's proxy (and other)
 * system properties; {@code credentials} or {@code proxyCredentials} ({@link Login}) gives it a
 * credentials provider.
 */
public abstract class Apache5Driver implements ClientDriver {

    private final Map<String, Pooled> clients = new ConcurrentHashMap<>();

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        CloseableHttpClient client = pooled(call).client;
        ClassicHttpRequest request = request(call);
        return Outcomes.timed(result -> execute(client, request, result));
    }

    @Override
    public Map<String, String> inspect(Map<String, String> command) {
        PoolStats stats = pooled(command).connections.getTotalStats();
        return Outcomes.poolStats(stats.getLeased(), stats.getAvailable(), stats.getPending());
    }

    abstract void execute(CloseableHttpClient client, ClassicHttpRequest request, Map<String, String> result)
            throws IOException;

    /** The {@link Login} as the application gives it to the client: for any host and realm. */
    static BasicCredentialsProvider credentials(Login login) {
        BasicCredentialsProvider credentials = new BasicCredentialsProvider();
        credentials.setCredentials(new AuthScope(null, -1),
                new UsernamePasswordCredentials(login.user, login.password.toCharArray()));
        return credentials;
    }

    private Pooled pooled(Map<String, String> call) {
        String key = call.getOrDefault("pool", "default") + "/" + call.getOrDefault("clientRetry", "on") + "/"
                + call.getOrDefault("systemProperties", "off") + "/" + Login.key(call) + "/" + ClientProxy.key(call);
        return clients.computeIfAbsent(key, k -> {
            PoolingHttpClientConnectionManagerBuilder connections = PoolingHttpClientConnectionManagerBuilder.create();
            if (call.containsKey("pool")) {
                int perRoute = Integer.parseInt(call.get("pool"));
                connections.setMaxConnPerRoute(perRoute);
                connections.setMaxConnTotal(Math.max(25, perRoute));
            }
            PoolingHttpClientConnectionManager manager = connections.build();
            HttpClientBuilder builder = HttpClients.custom().setConnectionManager(manager);
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
                builder.setDefaultCredentialsProvider(credentials(login));
            }
            if ("custom".equals(call.get("clientRetry"))) {
                builder.setRetryStrategy(new AppOwnRetries.Strategy5());
            }
            return new Pooled(manager, builder.build());
        });
    }

    static ClassicHttpRequest request(Map<String, String> call) {
        ClassicRequestBuilder builder = ClassicRequestBuilder.create(call.getOrDefault("method", "GET"))
                .setUri(call.get("url"));
        String body = call.getOrDefault("body", "");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        switch (call.getOrDefault("bodyKind", "none")) {
            case "string":
                builder.setEntity(new StringEntity(body, ContentType.TEXT_PLAIN));
                break;
            case "bytes":
                builder.setEntity(new ByteArrayEntity(bytes, ContentType.APPLICATION_OCTET_STREAM));
                break;
            case "inputStream":
            case "oneShot":
                builder.setEntity(new InputStreamEntity(new ByteArrayInputStream(bytes), bytes.length,
                        ContentType.APPLICATION_OCTET_STREAM));
                break;
            default:
                break;
        }
        Outcomes.headers(call, builder::addHeader);
        return builder.build();
    }

    static void describe(ClassicHttpResponse response, Map<String, String> result) throws IOException {
        result.put("status", Integer.toString(response.getCode()));
        HttpEntity entity = response.getEntity();
        if (Outcomes.counting()) {
            Outcomes.countBody(entity == null ? null : entity.getContent(), result);
            return;
        }
        try {
            result.put("body", entity == null ? "" : EntityUtils.toString(entity, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new IOException(e);
        }
        Header note = response.getFirstHeader("X-Server-Note");
        if (note != null) {
            result.put("note", note.getValue());
        }
    }

    private static final class Pooled {
        final PoolingHttpClientConnectionManager connections;
        final CloseableHttpClient client;

        Pooled(PoolingHttpClientConnectionManager connections, CloseableHttpClient client) {
            this.connections = connections;
            this.client = client;
        }
    }

    /** {@code execute(ClassicHttpRequest)} (deprecated in 5.x, still everywhere): the application closes the response. */
    public static final class Plain extends Apache5Driver {
        @Override
        @SuppressWarnings("deprecation")
        void execute(CloseableHttpClient client, ClassicHttpRequest request, Map<String, String> result)
                throws IOException {
            try (CloseableHttpResponse response = client.execute(request)) {
                describe(response, result);
            }
        }
    }

    /** {@code execute(ClassicHttpRequest, HttpClientResponseHandler)}: the client consumes and closes. */
    public static final class Handler extends Apache5Driver {
        @Override
        void execute(CloseableHttpClient client, ClassicHttpRequest request, Map<String, String> result)
                throws IOException {
            client.execute(request, response -> {
                describe(response, result);
                return null;
            });
        }
    }

    /** The application's own {@code CloseableHttpClient} subclass that delegates to the built client. */
    public static final class Wrapped extends Apache5Driver {
        @Override
        @SuppressWarnings("deprecation")
        void execute(CloseableHttpClient client, ClassicHttpRequest request, Map<String, String> result)
                throws IOException {
            try (CloseableHttpResponse response = new Delegating(client).execute(request)) {
                describe(response, result);
            }
        }
    }

    private static final class Delegating extends CloseableHttpClient {
        private final CloseableHttpClient delegate;

        Delegating(CloseableHttpClient delegate) {
            this.delegate = delegate;
        }

        @Override
        @SuppressWarnings("deprecation")
        protected CloseableHttpResponse doExecute(HttpHost target, ClassicHttpRequest request, HttpContext context)
                throws IOException {
            return delegate.execute(target, request, context);
        }

        @Override
        public void close(CloseMode closeMode) {
            // the delegate is shared
        }

        @Override
        public void close() {
            // the delegate is shared
        }
    }
}
