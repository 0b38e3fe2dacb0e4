package io.tailguard.bench.clients;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Response;

/** OkHttp {@code Call.enqueue}, the body read in the callback, the caller waiting for it. */
public final class OkHttpEnqueueBenchClient implements BenchClient {

    private final OkHttpClient client = OkHttpBenchClient.newClient();

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        Call call = OkHttpBenchClient.newCall(client, url, timeout, headers);
        CompletableFuture<Integer> status = new CompletableFuture<>();
        call.enqueue(new Callback() {
            @Override
            public void onFailure(Call failed, IOException e) {
                status.completeExceptionally(e);
            }

            @Override
            public void onResponse(Call done, Response response) throws IOException {
                try (Response r = response) {
                    r.body().string();
                    status.complete(r.code());
                }
            }
        });
        return status.get(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
    }
}
