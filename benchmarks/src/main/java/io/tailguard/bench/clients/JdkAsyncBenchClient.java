package io.tailguard.bench.clients;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code java.net.http.HttpClient.sendAsync}, then waiting for the future, HTTP/1.1. */
public final class JdkAsyncBenchClient implements BenchClient {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        return client.sendAsync(JdkBenchClient.request(url, timeout, headers), HttpResponse.BodyHandlers.ofString())
                .get(60, TimeUnit.SECONDS).statusCode();
    }

    @Override
    public void close() {
        // HttpClient has no close() before Java 21; its threads are daemons.
    }
}
