package io.tailguard.bench.clients;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.http.HttpResponse;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.nio.client.CloseableHttpAsyncClient;
import org.apache.http.impl.nio.client.HttpAsyncClients;
import org.apache.http.util.EntityUtils;

/**
 * Apache HttpAsyncClient 4.1 {@code execute(HttpUriRequest, FutureCallback)}, then waiting for the
 * future: how Elasticsearch's {@code RestClient.performRequest} uses it.
 */
public final class Apache4AsyncBenchClient implements BenchClient {

    /** A pool as large as the lab's concurrency; the default (2 per route) would queue the calls. */
    private final CloseableHttpAsyncClient client =
            HttpAsyncClients.custom().setMaxConnPerRoute(1000).setMaxConnTotal(1000).build();

    public Apache4AsyncBenchClient() {
        client.start();
    }

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        HttpGet get = new HttpGet(url);
        for (int i = 0; i < headers.length; i += 2) {
            get.setHeader(headers[i], headers[i + 1]);
        }
        if (timeout != null) {
            int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            get.setConfig(RequestConfig.custom().setSocketTimeout(millis).build());
        }
        HttpResponse response = client.execute(get, null).get(60, TimeUnit.SECONDS);
        EntityUtils.consume(response.getEntity());
        return response.getStatusLine().getStatusCode();
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
