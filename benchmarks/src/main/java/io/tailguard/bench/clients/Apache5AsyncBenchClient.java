package io.tailguard.bench.clients;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;

/** Apache HttpClient 5 async {@code execute(SimpleHttpRequest, FutureCallback)}, then waiting for the future. */
public final class Apache5AsyncBenchClient implements BenchClient {

    private final CloseableHttpAsyncClient client = HttpAsyncClients.custom()
            .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                    .setMaxConnPerRoute(1000).setMaxConnTotal(1000).build())
            .build();

    public Apache5AsyncBenchClient() {
        client.start();
    }

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        SimpleRequestBuilder request = SimpleRequestBuilder.get(url);
        for (int i = 0; i < headers.length; i += 2) {
            request.setHeader(headers[i], headers[i + 1]);
        }
        if (timeout != null) {
            request.setRequestConfig(RequestConfig.custom()
                    .setResponseTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).build());
        }
        SimpleHttpRequest built = request.build();
        SimpleHttpResponse response = client.execute(built, null).get(60, TimeUnit.SECONDS);
        return response.getCode();
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
