package io.tailguard.bench.clients;

import io.tailguard.bench.server.MemorySockets;
import io.tailguard.bench.server.MiniHttpServer;
import java.time.Duration;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Response;

/**
 * OkHttp {@code Call.execute} over connections in memory ({@link MemorySockets}): the requests are
 * answered on the calling thread by the handler given with {@link #answerWith} (200 and a two-byte
 * body until then), so a call costs the JVM's work alone, OkHttp's, the agent's and the server's
 * reading of the request, without the kernel or another thread. Only where named: no server ever
 * sees its requests.
 */
public final class OkHttpMemoryBenchClient implements BenchClient {

    private static volatile MiniHttpServer.Handler answering = request -> MiniHttpServer.Response.of(200, "ok");

    private final OkHttpClient client = OkHttpBenchClient.newClient().newBuilder()
            .socketFactory(new MemorySockets(answering))
            .build();

    /** What answers the requests of the clients made from now on. */
    public static void answerWith(MiniHttpServer.Handler handler) {
        answering = handler;
    }

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        Call call = OkHttpBenchClient.newCall(client, url, timeout, headers);
        try (Response response = call.execute()) {
            response.body().string();
            return response.code();
        }
    }

    @Override
    public void close() {
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
    }
}
