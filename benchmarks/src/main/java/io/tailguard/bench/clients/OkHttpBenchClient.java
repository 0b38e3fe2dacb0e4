package io.tailguard.bench.clients;

import io.tailguard.bench.server.MemorySockets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** OkHttp {@code Call.execute}. */
public final class OkHttpBenchClient implements BenchClient {

    /**
     * A system property: how many idle connections the OkHttp clients keep, where a benchmark
     * keeps more alive than OkHttp's five by default (the paired run sets it). Unset: OkHttp's own
     * pool, as an application that builds its client with the defaults has.
     */
    public static final String IDLE_CONNECTIONS = "tailguard.bench.okhttp.idle-connections";

    private final OkHttpClient client;

    public OkHttpBenchClient() {
        this(newClient());
    }

    private OkHttpBenchClient(OkHttpClient client) {
        this.client = client;
    }

    /**
     * Over connections in memory ({@link MemorySockets#answering()}): a call costs the JVM's work
     * alone, OkHttp's, the agent's and the server's reading of the request, without the kernel or
     * another thread ({@code okhttp-memory}, measured only where named).
     */
    public static OkHttpBenchClient inMemory() {
        return new OkHttpBenchClient(newClient().newBuilder().socketFactory(MemorySockets.answering()).build());
    }

    /**
     * Without OkHttp's connect, read and write timeouts (10 s by default), so that no socket read or
     * write enters okio's timeout watchdog ({@code okhttp-untimed}, measured only where named): what
     * the watchdog costs a call, with and without the agent.
     */
    public static OkHttpBenchClient untimed() {
        return new OkHttpBenchClient(newClient().newBuilder()
                .connectTimeout(Duration.ZERO).readTimeout(Duration.ZERO).writeTimeout(Duration.ZERO).build());
    }

    /** A client with OkHttp's defaults, its pool sized by {@link #IDLE_CONNECTIONS} where that is set. */
    static OkHttpClient newClient() {
        String idle = System.getProperty(IDLE_CONNECTIONS);
        if (idle == null) {
            return new OkHttpClient();
        }
        return new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(Integer.parseInt(idle), 5, TimeUnit.MINUTES))
                .build();
    }

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        Call call = newCall(client, url, timeout, headers);
        try (Response response = call.execute()) {
            response.body().string();
            return response.code();
        }
    }

    static Call newCall(OkHttpClient client, String url, Duration timeout, String... headers) {
        Request.Builder request = new Request.Builder().url(url);
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
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
