package io.tailguard.bench.neverworse;

import io.tailguard.bench.clients.Apache4BenchClient;
import io.tailguard.bench.clients.Apache5BenchClient;
import io.tailguard.bench.clients.BenchClient;
import io.tailguard.bench.clients.UrlConnectionBenchClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;

/**
 * The measured application of {@code never-worse}: a plain program that knows nothing of the
 * agent. For each client API in turn, on a fresh client, it sends GETs to one server open loop
 * (Poisson arrivals at a fixed rate, the same seed for every run, so every configuration sees the
 * same arrival pattern), a blocking call on its own pooled thread, an asynchronous one from the
 * pacing thread, and prints one line per API: latency from the scheduled start to the whole body.
 *
 * <p>{@code NeverWorseApp URL RATE WARMUP_S MEASURE_S API...}; prints
 * {@code RESULT api count errors p50 p90 p99} (milliseconds).
 */
public final class NeverWorseApp {

    private NeverWorseApp() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        String url = args[0];
        double rate = Double.parseDouble(args[1]);
        double warmup = Double.parseDouble(args[2]);
        double measure = Double.parseDouble(args[3]);
        for (String api : Arrays.copyOfRange(args, 4, args.length)) {
            try (Api client = Api.create(api)) {
                run(client, url, rate, warmup, 1L, new AtomicInteger());
                AtomicInteger errors = new AtomicInteger();
                long[] sorted = run(client, url, rate, measure, 2L, errors);
                int n = sorted.length;
                Arrays.sort(sorted);
                out.printf("RESULT\t%s\t%d\t%d\t%.3f\t%.3f\t%.3f%n", api, n, errors.get(), pct(sorted, 50),
                        pct(sorted, 90), pct(sorted, 99));
            } catch (Exception | LinkageError failure) {
                out.printf("FAILED\t%s\t%s%n", api, failure);
            }
        }
        System.exit(0);
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length - 1e-9);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    /** @return the latency of every call, in nanoseconds from its scheduled start to its end */
    private static long[] run(Api api, String url, double rate, double seconds, long seed, AtomicInteger errors)
            throws InterruptedException {
        Random arrivals = new Random(seed);
        List<Long> due = new ArrayList<>();
        double t = 0;
        while (true) {
            t += -Math.log(1 - arrivals.nextDouble()) / rate;
            if (t >= seconds) {
                break;
            }
            due.add((long) (t * 1e9));
        }
        CountDownLatch done = new CountDownLatch(due.size());
        long[] latencies = new long[due.size()];
        long start = System.nanoTime();
        for (int i = 0; i < due.size(); i++) {
            long scheduled = start + due.get(i);
            long wait;
            while ((wait = scheduled - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            int index = i;
            api.call(url, failed -> {
                latencies[index] = System.nanoTime() - scheduled;
                if (failed) {
                    errors.incrementAndGet();
                }
                done.countDown();
            });
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("calls still running 60 s after the last was sent");
        }
        return latencies;
    }

    /** A call's end: {@code true} when it failed (an exception or a status other than 200). */
    interface Done {
        void ended(boolean failed);
    }

    /** One client API as an application uses it, with a client built once with its defaults. */
    abstract static class Api implements AutoCloseable {
        /** Blocking APIs: each call on its own thread, as a server application's request threads. */
        final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "app-request");
            thread.setDaemon(true);
            return thread;
        });

        abstract void call(String url, Done done);

        void blocking(Done done, BlockingCall call) {
            threads.execute(() -> {
                boolean failed;
                try {
                    failed = call.status() != 200;
                } catch (Exception e) {
                    failed = true;
                }
                done.ended(failed);
            });
        }

        interface BlockingCall {
            int status() throws Exception;
        }

        @Override
        public void close() throws IOException {
            threads.shutdown();
        }

        static Api create(String name) {
            switch (name) {
                case "jdk-send":
                    return new Jdk(false);
                case "jdk-async":
                    return new Jdk(true);
                case "okhttp-execute":
                    return new OkHttp(false);
                case "okhttp-enqueue":
                    return new OkHttp(true);
                case "apache4":
                    return new Classic(new Apache4BenchClient());
                case "apache5":
                    return new Classic(new Apache5BenchClient());
                case "apache5-async":
                    return new Apache5Async();
                case "urlconnection":
                    return new Classic(new UrlConnectionBenchClient());
                default:
                    throw new IllegalArgumentException("unknown API " + name);
            }
        }
    }

    /** {@code HttpClient.send} / {@code sendAsync}, HTTP/1.1 (none of the servers speaks HTTP/2). */
    static final class Jdk extends Api {
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private final boolean async;

        Jdk(boolean async) {
            this.async = async;
        }

        @Override
        void call(String url, Done done) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).build();
            if (async) {
                CompletableFuture<HttpResponse<String>> f = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
                f.whenComplete((r, e) -> done.ended(e != null || r.statusCode() != 200));
            } else {
                blocking(done, () -> client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
            }
        }
    }

    /**
     * OkHttp {@code execute} / {@code enqueue}. The dispatcher's limit of 5 calls per host is raised
     * so that a slow phase measures the client's connections, not its queue.
     */
    static final class OkHttp extends Api {
        private final OkHttpClient client = new OkHttpClient();
        private final boolean async;

        OkHttp(boolean async) {
            this.async = async;
            client.dispatcher().setMaxRequestsPerHost(256);
            client.dispatcher().setMaxRequests(256);
        }

        @Override
        void call(String url, Done done) {
            Call call = client.newCall(new Request.Builder().url(url).build());
            if (!async) {
                blocking(done, () -> {
                    try (Response response = call.execute()) {
                        response.body().string();
                        return response.code();
                    }
                });
                return;
            }
            call.enqueue(new Callback() {
                @Override
                public void onFailure(Call c, IOException e) {
                    done.ended(true);
                }

                @Override
                public void onResponse(Call c, Response response) throws IOException {
                    try (response) {
                        response.body().string();
                        done.ended(response.code() != 200);
                    }
                }
            });
        }

        @Override
        public void close() throws IOException {
            super.close();
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
    }

    /**
     * A blocking client of the other benchmarks: Apache 4.5 and 5 classic, with pools as large as the
     * load needs (their defaults are 2 and 5 per route), and {@code HttpURLConnection} as it comes.
     */
    static final class Classic extends Api {
        private final BenchClient client;

        Classic(BenchClient client) {
            this.client = client;
        }

        @Override
        void call(String url, Done done) {
            blocking(done, () -> client.get(url, null, BenchClient.NO_HEADERS));
        }

        @Override
        public void close() throws IOException {
            super.close();
            client.close();
        }
    }

    /** Apache HttpClient 5 async with a {@code SimpleHttpRequest}, with a pool as large as the load needs. */
    static final class Apache5Async extends Api {
        private final CloseableHttpAsyncClient client = HttpAsyncClients.custom()
                .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                        .setMaxConnPerRoute(1000).setMaxConnTotal(1000).build())
                .build();

        Apache5Async() {
            client.start();
        }

        @Override
        void call(String url, Done done) {
            SimpleHttpRequest request = SimpleRequestBuilder.get(url).build();
            client.execute(request, new FutureCallback<SimpleHttpResponse>() {
                @Override
                public void completed(SimpleHttpResponse response) {
                    done.ended(response.getCode() != 200);
                }

                @Override
                public void failed(Exception e) {
                    done.ended(true);
                }

                @Override
                public void cancelled() {
                    done.ended(true);
                }
            });
        }

        @Override
        public void close() throws IOException {
            super.close();
            client.close();
        }
    }
}
