package io.tailguard.bench.clients;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** {@code java.net.http.HttpClient.send}, HTTP/1.1 (the lab and benchmark servers speak only that). */
public final class JdkBenchClient implements BenchClient {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        return client.send(request(url, timeout, headers), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    static HttpRequest request(String url, Duration timeout, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        if (timeout != null) {
            request.timeout(timeout);
        }
        return request.build();
    }

    @Override
    public void close() {
        // HttpClient has no close() before Java 21; its threads are daemons.
    }
}
