package io.tailguard.bench.overhead;

import io.tailguard.bench.server.MiniHttpServer;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Where the JDK client's time goes when a call is made the way the agent makes its attempts, with
 * no agent at all: {@code send} (what the application calls), {@code sendAsync(...).get()} (what
 * the agent's JDK adapter does for every attempt: the exchange is scheduled on the client's
 * executor and the result handed over through the common pool), and the client's private
 * four-argument {@code sendAsync} with no exchange executor, which is what {@code send} itself
 * uses: the asynchronous API without the extra thread hand-offs. Run without the agent, with
 * {@code --add-opens java.net.http/jdk.internal.net.http=ALL-UNNAMED} for the last one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class JdkSendPathBenchmark {

    private MiniHttpServer server;
    private HttpClient client;
    private HttpRequest request;
    private HttpResponse.BodyHandler<String> handler;
    private MethodHandle inlineSendAsync;

    @Setup(Level.Trial)
    public void start() throws Exception {
        server = MiniHttpServer.fast();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        request = HttpRequest.newBuilder(URI.create(server.url("/"))).build();
        handler = HttpResponse.BodyHandlers.ofString();
        Class<?> impl = Class.forName("jdk.internal.net.http.HttpClientImpl");
        Object target = client;
        // HttpClient.newBuilder().build() returns a facade holding the implementation.
        if (!impl.isInstance(target)) {
            java.lang.reflect.Field field = target.getClass().getDeclaredField("impl");
            field.setAccessible(true);
            target = field.get(target);
        }
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(impl, MethodHandles.lookup());
        inlineSendAsync = lookup.findVirtual(impl, "sendAsync", MethodType.methodType(CompletableFuture.class,
                HttpRequest.class, HttpResponse.BodyHandler.class, HttpResponse.PushPromiseHandler.class,
                Executor.class)).bindTo(target);
    }

    @Benchmark
    public int send() throws Exception {
        return client.send(request, handler).statusCode();
    }

    @Benchmark
    public int sendAsyncGet() throws Exception {
        return client.sendAsync(request, handler, null).get().statusCode();
    }

    @Benchmark
    @SuppressWarnings("unchecked")
    public int inlineSendAsyncGet() throws Throwable {
        CompletableFuture<HttpResponse<String>> future =
                (CompletableFuture<HttpResponse<String>>) inlineSendAsync.invoke(request, handler, null, null);
        return future.get().statusCode();
    }

    @TearDown(Level.Trial)
    public void stop() {
        server.close();
    }
}
