package io.tailguard.bench.clients;

import java.io.IOException;
import java.time.Duration;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.util.EntityUtils;

/** Apache HttpClient 4.5 {@code execute}. */
public final class Apache4BenchClient implements BenchClient {

    /** A pool as large as the lab's concurrency; the default (2 per route) would queue the calls. */
    private final CloseableHttpClient client = HttpClients.custom().setMaxConnPerRoute(1000).setMaxConnTotal(1000).build();

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
        try (CloseableHttpResponse response = client.execute(get)) {
            EntityUtils.consume(response.getEntity());
            return response.getStatusLine().getStatusCode();
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
