package io.tailguard.it.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Authenticator;
import okhttp3.Call;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;
import okhttp3.Callback;
import okhttp3.Credentials;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;

/**
 * OkHttp as an application uses it: one shared client with an application interceptor and a
 * network interceptor, blocking ({@code Call.execute}) and asynchronous ({@code Call.enqueue}).
 *
 * <p>Compiled against the OkHttp 5 on the test class path and run on 3.14, 4.12 and 5: it only
 * uses API whose JVM descriptors are the same in all three (no Kotlin extension functions, no
 * {@code RequestBody.create} overloads, no {@code toMediaType}).
 *
 * <p>Every attempt carries two headers written by the interceptors, so a test can see on the wire
 * that both ran for it: {@code X-Caller-Context} is a thread-local the application set on the
 * thread that called {@code execute()} ({@code none} on any other thread), and
 * {@code X-Network-Interceptor} is set by the network interceptor. A request with
 * {@code X-Nested-Url} has the application interceptor first make a call of its own to that URL, on
 * the same thread; one with {@code X-Id-From-Interceptor} has the network interceptor set
 * {@code X-Request-ID} to its value. With {@code credentials} or {@code proxyCredentials}
 * ({@link Login}) the client has an {@code authenticator} or {@code proxyAuthenticator}; with
 * {@code cookies=on}, a {@code CookieJar} that keeps what its servers set; with {@code proxy}
 * ({@link ClientProxy}), that proxy.
 */
public abstract class OkHttpDriver implements ClientDriver {

    static final ThreadLocal<String> CALLER_CONTEXT = new ThreadLocal<>();

    private static final OkHttpClient CLIENT = newClient();
    private static final Map<Long, OkHttpClient> WITH_CALL_TIMEOUT = new ConcurrentHashMap<>();
    /** By {@link Login} and call timeout: the client with an {@code Authenticator}. */
    private static final Map<String, OkHttpClient> AUTHENTICATING = new ConcurrentHashMap<>();
    private static final Map<String, Call> CALLS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> CALLBACKS = new ConcurrentHashMap<>();
    /** Every cookie any server set, sent back where it matches: an application's cookie jar. */
    private static final CookieJar KEPT_COOKIES = new CookieJar() {
        private final List<Cookie> kept = new CopyOnWriteArrayList<>();

        @Override
        public void saveFromResponse(HttpUrl url, List<Cookie> cookies) {
            kept.addAll(cookies);
        }

        @Override
        public List<Cookie> loadForRequest(HttpUrl url) {
            List<Cookie> matching = new ArrayList<>();
            for (Cookie cookie : kept) {
                if (cookie.matches(url)) {
                    matching.add(cookie);
                }
            }
            return matching;
        }
    };

    private static OkHttpClient newClient() {
        OkHttpClient client = new OkHttpClient.Builder()
                .addInterceptor(new Interceptor() {
                    @Override
                    public Response intercept(Chain chain) throws IOException {
                        String nested = chain.request().header("X-Nested-Url");
                        if (nested != null) {
                            // A call of the interceptor's own, on the thread running the request.
                            try (Response own = CLIENT.newCall(new Request.Builder().url(nested).build()).execute()) {
                                own.body().string();
                            }
                        }
                        String context = CALLER_CONTEXT.get();
                        return chain.proceed(chain.request().newBuilder()
                                .header("X-Caller-Context", context == null ? "none" : context).build());
                    }
                })
                .addNetworkInterceptor(new Interceptor() {
                    @Override
                    public Response intercept(Chain chain) throws IOException {
                        Request.Builder request = chain.request().newBuilder().header("X-Network-Interceptor", "seen");
                        String id = chain.request().header("X-Id-From-Interceptor");
                        if (id != null) {
                            request.header("X-Request-ID", id);
                        }
                        return chain.proceed(request.build());
                    }
                })
                .build();
        // A primary and its hedge to one host must not queue behind OkHttp's default of 5.
        client.dispatcher().setMaxRequestsPerHost(32);
        return client;
    }

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        OkHttpClient client = CLIENT;
        if (call.containsKey("timeoutMs")) {
            long millis = Long.parseLong(call.get("timeoutMs"));
            client = WITH_CALL_TIMEOUT.computeIfAbsent(millis,
                    ms -> CLIENT.newBuilder().callTimeout(ms, TimeUnit.MILLISECONDS).build());
        }
        Login login = Login.of(call);
        if (login != null) {
            OkHttpClient base = client;
            client = AUTHENTICATING.computeIfAbsent(Login.key(call) + "/" + call.getOrDefault("timeoutMs", "none"),
                    key -> login.forProxy() ? base.newBuilder().proxyAuthenticator(answering(login)).build()
                            : base.newBuilder().authenticator(answering(login)).build());
        }
        if ("on".equals(call.get("cookies"))) {
            client = client.newBuilder().cookieJar(KEPT_COOKIES).build();
        }
        ClientProxy proxy = ClientProxy.of(call);
        if (proxy != null) {
            client = client.newBuilder().proxy(proxy.proxy()).build();
        }
        Call okCall = client.newCall(request(call));
        String key = call.get("key");
        if (key != null) {
            CALLS.put(key, okCall);
            CALLBACKS.put(key, new AtomicInteger());
        }
        Map<String, String> result = new LinkedHashMap<>();
        long start = System.nanoTime();
        CALLER_CONTEXT.set(call.getOrDefault("context", "caller"));
        try {
            result.putAll(run(okCall, key == null ? new AtomicInteger() : CALLBACKS.get(key)));
        } catch (Exception e) {
            Throwable failure = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            result.put("error", failure.getClass().getName());
            result.put("errorMessage", String.valueOf(failure.getMessage()));
            result.put("suppressed", Integer.toString(failure.getSuppressed().length));
        } finally {
            CALLER_CONTEXT.remove();
        }
        result.put("elapsedMs", Long.toString((System.nanoTime() - start) / 1_000_000));
        result.put("executed", Boolean.toString(okCall.isExecuted()));
        if (call.containsKey("again")) {
            // The same Call run a second time, which OkHttp refuses ("Already Executed").
            try {
                result.put("againStatus", run(okCall, new AtomicInteger()).getOrDefault("status", "none"));
            } catch (Exception e) {
                result.put("againError", e.getClass().getName());
                result.put("againErrorMessage", String.valueOf(e.getMessage()));
            }
        }
        return result;
    }

    /** Answers a Basic challenge once: a request refused with the credentials gets no second try. */
    private static Authenticator answering(Login login) {
        String header = login.forProxy() ? "Proxy-Authorization" : "Authorization";
        return (route, response) -> response.request().header(header) != null ? null
                : response.request().newBuilder().header(header, Credentials.basic(login.user, login.password)).build();
    }

    /** Runs the call the way this API does; {@code callbacks} counts the application's callbacks. */
    abstract Map<String, String> run(Call call, AtomicInteger callbacks) throws Exception;

    /** {@code Call.cancel()} of the call made with option {@code key}. */
    @Override
    public Map<String, String> cancel(Map<String, String> command) {
        Call call = CALLS.get(command.get("key"));
        if (call == null) {
            throw new IllegalArgumentException("no call " + command.get("key"));
        }
        call.cancel();
        return Map.of("canceled", Boolean.toString(call.isCanceled()));
    }

    /**
     * The client's connection pool and dispatcher; with {@code awaitIdle}, once OkHttp runs no call
     * any more (every attempt and callback has finished); with {@code key}, how many times that
     * call's callback was invoked.
     */
    @Override
    public Map<String, String> inspect(Map<String, String> command) throws InterruptedException {
        if (command.containsKey("awaitIdle")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (CLIENT.dispatcher().runningCallsCount() + CLIENT.dispatcher().queuedCallsCount() > 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        // The pool's two counts are read one after the other, while OkHttp's cleanup thread may evict
        // an idle connection (one more than its five idle ones, or one past its keep-alive): read
        // again until no connection left between the reads. Nothing adds one while no call runs.
        int connections;
        int idle;
        do {
            connections = CLIENT.connectionPool().connectionCount();
            idle = CLIENT.connectionPool().idleConnectionCount();
        } while (connections != CLIENT.connectionPool().connectionCount());
        Map<String, String> state = new LinkedHashMap<>();
        state.put("connections", Integer.toString(connections));
        state.put("idleConnections", Integer.toString(idle));
        state.put("runningCalls", Integer.toString(CLIENT.dispatcher().runningCallsCount()));
        ClassLoader loader = OkHttpClient.class.getClassLoader();
        state.put("okhttpLoader", loader.getName() != null ? loader.getName() : loader.toString());
        state.put("okhttpModule", String.valueOf(OkHttpClient.class.getModule()));
        String key = command.get("key");
        if (key != null && CALLBACKS.containsKey(key)) {
            state.put("callbacks", Integer.toString(CALLBACKS.get(key).get()));
        }
        return state;
    }

    static Request request(Map<String, String> call) {
        Request.Builder builder = new Request.Builder().url(call.get("url"));
        byte[] bytes = call.getOrDefault("body", "").getBytes(StandardCharsets.UTF_8);
        RequestBody body;
        switch (call.getOrDefault("bodyKind", "none")) {
            case "string":
            case "bytes":
                body = new BytesBody(bytes, false);
                break;
            case "oneShot":
                body = new BytesBody(bytes, true);
                break;
            default:
                body = null;
        }
        builder.method(call.getOrDefault("method", "GET"), body);
        for (Map.Entry<String, String> e : call.entrySet()) {
            if (e.getKey().startsWith("h.")) {
                builder.header(e.getKey().substring(2), e.getValue());
            }
        }
        return builder.build();
    }

    static Map<String, String> describe(Response response) throws IOException {
        Map<String, String> result = new LinkedHashMap<>();
        try (Response r = response) {
            result.put("status", Integer.toString(r.code()));
            if (Outcomes.counting()) {
                Outcomes.countBody(r.body().byteStream(), result);
            } else {
                result.put("body", r.body().string());
            }
            String note = r.header("X-Server-Note");
            if (note != null) {
                result.put("note", note);
            }
        }
        return result;
    }

    /** Bytes written on demand; {@code oneShot} says it can be written only once, as a stream upload would. */
    private static final class BytesBody extends RequestBody {
        private final byte[] bytes;
        private final boolean oneShot;

        BytesBody(byte[] bytes, boolean oneShot) {
            this.bytes = bytes;
            this.oneShot = oneShot;
        }

        @Override
        public MediaType contentType() {
            return null;
        }

        @Override
        public long contentLength() {
            return bytes.length;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            sink.write(bytes);
        }

        @Override
        public boolean isOneShot() {
            return oneShot;
        }
    }

    /** {@code Call.execute()} on the application's thread. */
    public static final class Execute extends OkHttpDriver {
        @Override
        Map<String, String> run(Call call, AtomicInteger callbacks) throws IOException {
            return describe(call.execute());
        }
    }

    /**
     * {@code Call.enqueue(Callback)}; the callback reads the body on the thread OkHttp calls it on,
     * and reports that thread's name as {@code callbackThread}.
     */
    public static final class Enqueue extends OkHttpDriver {
        @Override
        Map<String, String> run(Call call, AtomicInteger callbacks) throws Exception {
            CompletableFuture<Map<String, String>> answer = new CompletableFuture<>();
            call.enqueue(new Callback() {
                @Override
                public void onFailure(Call failed, IOException e) {
                    Outcomes.outcome(callbacks);
                    answer.completeExceptionally(e);
                }

                @Override
                public void onResponse(Call succeeded, Response response) throws IOException {
                    Outcomes.outcome(callbacks);
                    Map<String, String> result = describe(response);
                    result.put("callbackThread", Thread.currentThread().getName());
                    result.put("sameCall", Boolean.toString(succeeded == call));
                    answer.complete(result);
                }
            });
            return answer.get(60, TimeUnit.SECONDS);
        }
    }
}
