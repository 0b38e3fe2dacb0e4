package io.tailguard.bench.clients;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** OkHttp {@code Call.execute}. */
public final class OkHttpBenchClient implements BenchClient {

    private final OkHttpClient client = new OkHttpClient();

    @Override
    public int get(String url, String header, String headerValue, Duration timeout) throws Exception {
        Call call = newCall(client, url, header, headerValue, timeout);
        try (Response response = call.execute()) {
            response.body().string();
            return response.code();
        }
    }

    static Call newCall(OkHttpClient client, String url, String header, String headerValue, Duration timeout) {
        Request.Builder request = new Request.Builder().url(url);
        if (header != null) {
            request.header(header, headerValue);
        }
        Call call = client.newCall(request.build());
        if (timeout != null) {
            call.timeout().timeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        return call;
    }

    @Override
    public void close() {
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
    }
}
