package io.tailguard.bench.clients;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/** Apache HttpClient 5 classic {@code execute} with a response handler. */
public final class Apache5BenchClient implements BenchClient {

    /** A pool as large as the lab's concurrency; the default (5 per route) would queue the calls. */
    private final CloseableHttpClient client = HttpClients.custom()
            .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                    .setMaxConnPerRoute(1000).setMaxConnTotal(1000).build())
            .build();

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
