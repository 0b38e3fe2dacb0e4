package io.tailguard.bench.clients;

import io.tailguard.bench.server.MemorySockets;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.util.TimeValue;

/** Apache HttpClient 5 classic {@code execute} with a response handler. */
public final class Apache5BenchClient implements BenchClient {

    private final CloseableHttpClient client;

    /** A pool as large as the lab's concurrency; the default (5 per route) would queue the calls. */
    public Apache5BenchClient() {
        this(PoolingHttpClientConnectionManagerBuilder.create().setMaxConnPerRoute(1000).setMaxConnTotal(1000).build());
    }

    private Apache5BenchClient(PoolingHttpClientConnectionManager connections) {
        this.client = HttpClients.custom().setConnectionManager(connections).build();
    }

    /**
     * Over connections in memory ({@link MemorySockets#answering()}), made by the connection operator
     * the pool's builder makes too ({@code apache5-memory}, measured only where named).
     */
    public static Apache5BenchClient inMemory() {
        MemorySockets sockets = MemorySockets.answering();
        PoolingHttpClientConnectionManager connections = new PoolingHttpClientConnectionManager(
                new DefaultHttpClientConnectionOperator(proxy -> sockets.createSocket(), null, null,
                        RegistryBuilder.<TlsSocketStrategy>create().build()),
                PoolConcurrencyPolicy.STRICT, PoolReusePolicy.LIFO, TimeValue.NEG_ONE_MILLISECOND, null);
        connections.setMaxTotal(1000);
        connections.setDefaultMaxPerRoute(1000);
        return new Apache5BenchClient(connections);
    }

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        HttpGet get = new HttpGet(url);
        for (int i = 0; i < headers.length; i += 2) {
            get.setHeader(headers[i], headers[i + 1]);
        }
        if (timeout != null) {
            get.setConfig(RequestConfig.custom().setResponseTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).build());
        }
        return client.execute(get, response -> {
            EntityUtils.consume(response.getEntity());
            return response.getCode();
        });
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
