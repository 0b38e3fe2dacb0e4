package io.tailguard.bench.overhead;

import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Exactly what the agent's prologue adds to one client API's intercepted method for a host no
 * policy matches: the argument array (a new one per call, as the prologue makes it), {@link
 * Dispatcher#enter}, the interceptor's own checks and policy lookup, and the {@code PROCEED} check.
 * Too small to see next to a round trip, so it is measured on its own, with the receiver and the
 * arguments the client itself passes to that method. Run only where that is safe: without the agent
 * (the dispatcher has no interceptor) and with the unmatched-host configuration (the interceptor
 * passes the call through, nothing is sent).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HookBenchmark {

    /** Never sent: no policy matches 127.0.0.1 in the configurations this benchmark runs with. */
    private static final String URL = "http://127.0.0.1:9/never-sent";

    /** The client API, named as in the paired run; the method each hooks is in {@link #start}. */
    @Param({"jdk", "jdk-async", "okhttp", "okhttp-enqueue", "apache5", "apache5-async", "apache5-async-exchange",
        "apache4", "apache4-async", "urlconnection"})
    public String hook;

    private int slot;
    private Object self;
    /** The method's arguments; copied for every call, as the prologue makes a new array. {@code null}: none. */
    private Object[] arguments;
    private AutoCloseable resource;

    @Setup
    public void start() throws Exception {
        switch (hook) {
            case "jdk":
            case "jdk-async":
                // HttpClient.send(HttpRequest, BodyHandler) and sendAsync(HttpRequest, BodyHandler)
                slot = hook.equals("jdk") ? Dispatcher.JDK_SEND : Dispatcher.JDK_SEND_ASYNC;
                self = HttpClient.newHttpClient();
                arguments = new Object[] {HttpRequest.newBuilder(URI.create(URL)).build(),
                    HttpResponse.BodyHandlers.ofString()};
                break;
            case "okhttp":
            case "okhttp-enqueue":
                // RealCall.execute() and RealCall.enqueue(Callback)
                okhttp3.OkHttpClient ok = new okhttp3.OkHttpClient();
                self = ok.newCall(new okhttp3.Request.Builder().url(URL).build());
                resource = () -> ok.dispatcher().executorService().shutdown();
                if (hook.equals("okhttp")) {
                    slot = Dispatcher.OKHTTP_EXECUTE;
                } else {
                    slot = Dispatcher.OKHTTP_ENQUEUE;
                    arguments = new Object[] {new okhttp3.Callback() {
                        @Override
                        public void onFailure(okhttp3.Call call, IOException e) {
                        }

                        @Override
                        public void onResponse(okhttp3.Call call, okhttp3.Response response) {
                        }
                    }};
                }
                break;
            case "apache5": {
                // InternalHttpClient.doExecute(HttpHost, ClassicHttpRequest, HttpContext), as execute(request) calls it
                org.apache.hc.client5.http.impl.classic.CloseableHttpClient client =
                        org.apache.hc.client5.http.impl.classic.HttpClients.createDefault();
                slot = Dispatcher.APACHE5_EXECUTE;
                self = client;
                resource = client;
                arguments = new Object[] {new org.apache.hc.core5.http.HttpHost("http", "127.0.0.1", 9),
                    new org.apache.hc.client5.http.classic.methods.HttpGet(URL), null};
                break;
            }
            case "apache5-async": {
                // InternalAbstractHttpAsyncClient.doExecute(HttpHost, producer, consumer, push handlers,
                // context, callback), as execute(SimpleHttpRequest, callback) calls it: no target
                org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient client =
                        org.apache.hc.client5.http.impl.async.HttpAsyncClients.createDefault();
                client.start();
                slot = Dispatcher.APACHE5_ASYNC_EXECUTE;
                self = client;
                resource = client;
                arguments = new Object[] {null,
                    org.apache.hc.client5.http.async.methods.SimpleRequestProducer.create(
                            org.apache.hc.client5.http.async.methods.SimpleHttpRequest.create("GET", URL)),
                    org.apache.hc.client5.http.async.methods.SimpleResponseConsumer.create(), null,
                    org.apache.hc.client5.http.protocol.HttpClientContext.create(), null};
                break;
            }
            case "apache5-async-exchange": {
                // The async client's second hook on the same call: its exec runtime's execute(String,
                // AsyncClientExchangeHandler, HttpClientContext), where the exchange starts. The
                // runtime's class is the library's own, so the client, from the same class loader,
                // stands in for it as the receiver; no exchange handler is needed to pass it by.
                org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient client =
                        org.apache.hc.client5.http.impl.async.HttpAsyncClients.createDefault();
                slot = Dispatcher.APACHE5_ASYNC_EXCHANGE;
                self = client;
                resource = client;
                arguments = new Object[] {"ex-0000000001", null,
                    org.apache.hc.client5.http.protocol.HttpClientContext.create()};
                break;
            }
            case "apache4": {
                // InternalHttpClient.doExecute(HttpHost, HttpRequest, HttpContext), as execute(request) calls it
                org.apache.http.impl.client.CloseableHttpClient client =
                        org.apache.http.impl.client.HttpClients.createDefault();
                slot = Dispatcher.APACHE4_EXECUTE;
                self = client;
                resource = client;
                arguments = new Object[] {new org.apache.http.HttpHost("127.0.0.1", 9, "http"),
                    new org.apache.http.client.methods.HttpGet(URL), null};
                break;
            }
            case "apache4-async": {
                // InternalHttpAsyncClient.execute(producer, consumer, context, callback)
                org.apache.http.impl.nio.client.CloseableHttpAsyncClient client =
                        org.apache.http.impl.nio.client.HttpAsyncClients.createDefault();
                client.start();
                slot = Dispatcher.APACHE4_ASYNC_EXECUTE;
                self = client;
                resource = client;
                arguments = new Object[] {org.apache.http.nio.client.methods.HttpAsyncMethods.createGet(URL),
                    org.apache.http.nio.client.methods.HttpAsyncMethods.createConsumer(),
                    org.apache.http.client.protocol.HttpClientContext.create(), null};
                break;
            }
            case "urlconnection":
                // sun.net.www.protocol.http.HttpURLConnection.getInputStream0(), where the exchange happens
                slot = Dispatcher.URLCONNECTION_EXCHANGE;
                self = (HttpURLConnection) URI.create(URL).toURL().openConnection();
                break;
            default:
                throw new IllegalArgumentException("unknown client API: " + hook);
        }
        unmatchedHook(); // fails at once where the dispatcher would take the call over
    }

    @Benchmark
    public boolean unmatchedHook() {
        Object decision = Dispatcher.enter(slot, self, arguments == null ? null : arguments.clone());
        if (decision != Dispatcher.PROCEED) {
            throw new IllegalStateException("the dispatcher took over a call it should pass through: " + decision);
        }
        return true;
    }

    @TearDown
    public void stop() throws Exception {
        if (resource != null) {
            resource.close();
        }
    }
}
