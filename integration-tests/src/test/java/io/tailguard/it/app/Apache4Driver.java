package io.tailguard.it.app;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.auth.AuthScope;
import org.apache.http.auth.UsernamePasswordCredentials;
import org.apache.http.client.CredentialsProvider;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpUriRequest;
import org.apache.http.client.methods.RequestBuilder;
import org.apache.http.conn.ClientConnectionManager;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.entity.InputStreamEntity;
import org.apache.http.entity.StringEntity;
import org.apache.http.impl.client.BasicCredentialsProvider;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.params.HttpParams;
import org.apache.http.pool.PoolStats;
import org.apache.http.protocol.HttpContext;
import org.apache.http.util.EntityUtils;

/**
 * Apache HttpClient 4.5 classic, built the way applications build it: {@code HttpClients.custom()}
 * with a pooling connection manager at its defaults (2 connections per route, 20 in all), or
 * {@code pool=N} connections per route (and N in all where that is more). {@code clientRetry=off}
 * disables the client's own retries; {@code systemProperties=on} has it read the JVM's proxy (and
 * other) system properties; {@code credentials} or {@code proxyCredentials} ({@link Login}) gives
 * it a credentials provider; {@code statusRetry=on} adds its
 * {@code DefaultServiceUnavailableRetryStrategy}, {@code statusRetry=custom} the application's own
 * ({@link AppOwnRetries}).
 */
public abstract class Apache4Driver implements ClientDriver {

    private final Map<String, Pooled> clients = new ConcurrentHashMap<>();

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        CloseableHttpClient client = pooled(call).client;
        HttpUriRequest request = request(call);
        return Outcomes.timed(result -> execute(client, request, result));
    }

    @Override
    public Map<String, String> inspect(Map<String, String> command) {
        PoolStats stats = pooled(command).connections.getTotalStats();
        return Outcomes.poolStats(stats.getLeased(), stats.getAvailable(), stats.getPending());
    }

    abstract void execute(CloseableHttpClient client, HttpUriRequest request, Map<String, String> result)
            throws IOException;

    private Pooled pooled(Map<String, String> call) {
        String key = call.getOrDefault("pool", "default") + "/" + call.getOrDefault("clientRetry", "on") + "/"
                + call.getOrDefault("statusRetry", "off") + "/" + call.getOrDefault("systemProperties", "off") + "/"
                + Login.key(call) + "/" + ClientProxy.key(call);
        return clients.computeIfAbsent(key, k -> {
            PoolingHttpClientConnectionManager connections = new PoolingHttpClientConnectionManager();
            if (call.containsKey("pool")) {
                int perRoute = Integer.parseInt(call.get("pool"));
                connections.setDefaultMaxPerRoute(perRoute);
                connections.setMaxTotal(Math.max(connections.getMaxTotal(), perRoute));
            }
            org.apache.http.impl.client.HttpClientBuilder builder = HttpClients.custom()
                    .setConnectionManager(connections);
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
            if ("custom".equals(call.get("statusRetry"))) {
                builder.setServiceUnavailableRetryStrategy(new AppOwnRetries.Status4());
            }
            if ("on".equals(call.get("statusRetry"))) {
                builder.setServiceUnavailableRetryStrategy(
                        new org.apache.http.impl.client.DefaultServiceUnavailableRetryStrategy(1, 1000));
            }
            return new Pooled(connections, builder.build());
        });
    }

    /** The {@link Login} as the application gives it to the client: for any host and realm. */
    static CredentialsProvider credentials(Login login) {
        CredentialsProvider credentials = new BasicCredentialsProvider();
        credentials.setCredentials(AuthScope.ANY, new UsernamePasswordCredentials(login.user, login.password));
        return credentials;
    }

    static HttpUriRequest request(Map<String, String> call) {
        RequestBuilder builder = RequestBuilder.create(call.getOrDefault("method", "GET")).setUri(call.get("url"));
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
        if (call.containsKey("timeoutMs")) {
            builder.setConfig(RequestConfig.custom().setSocketTimeout(Integer.parseInt(call.get("timeoutMs"))).build());
        }
        return builder.build();
    }

    static void describe(HttpResponse response, Map<String, String> result) throws IOException {
        result.put("status", Integer.toString(response.getStatusLine().getStatusCode()));
        HttpEntity entity = response.getEntity();
        if (Outcomes.counting()) {
            Outcomes.countBody(entity == null ? null : entity.getContent(), result);
        } else {
            result.put("body", entity == null ? "" : EntityUtils.toString(entity, StandardCharsets.UTF_8));
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

    /** {@code execute(HttpUriRequest)}: the application reads and closes the response itself. */
    public static final class Plain extends Apache4Driver {
        @Override
        void execute(CloseableHttpClient client, HttpUriRequest request, Map<String, String> result)
                throws IOException {
            try (CloseableHttpResponse response = client.execute(request)) {
                describe(response, result);
            }
        }
    }

    /** {@code execute(HttpUriRequest, ResponseHandler)}: the client consumes and closes the response. */
    public static final class Handler extends Apache4Driver {
        @Override
        void execute(CloseableHttpClient client, HttpUriRequest request, Map<String, String> result)
                throws IOException {
            client.execute(request, response -> {
                describe(response, result);
                return null;
            });
        }
    }

    /** The application's own {@code CloseableHttpClient} subclass that delegates to the built client. */
    public static final class Wrapped extends Apache4Driver {
        @Override
        void execute(CloseableHttpClient client, HttpUriRequest request, Map<String, String> result)
                throws IOException {
            try (CloseableHttpResponse response = new Delegating(client).execute(request)) {
                describe(response, result);
            }
        }
    }

    @SuppressWarnings("deprecation")
    private static final class Delegating extends CloseableHttpClient {
        private final CloseableHttpClient delegate;

        Delegating(CloseableHttpClient delegate) {
            this.delegate = delegate;
        }

        @Override
        protected CloseableHttpResponse doExecute(HttpHost target, HttpRequest request, HttpContext context)
                throws IOException {
            return delegate.execute(target, request, context);
        }

        @Override
        public void close() {
            // the delegate is shared
        }

        @Override
        public HttpParams getParams() {
            return delegate.getParams();
        }

        @Override
        public ClientConnectionManager getConnectionManager() {
            return delegate.getConnectionManager();
        }
    }
}
