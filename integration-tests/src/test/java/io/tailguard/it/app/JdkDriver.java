package io.tailguard.it.app;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The JDK HttpClient, blocking ({@code send}) and asynchronous ({@code sendAsync}); with
 * {@code credentials} or {@code proxyCredentials} ({@link Login}), a client with an
 * {@code authenticator}; with {@code cookies=on}, one with a {@code CookieManager}; with
 * {@code proxy} ({@link ClientProxy}), one with that proxy's {@code ProxySelector}.
 */
public abstract class JdkDriver implements ClientDriver {

    private final HttpClient client = HttpClient.newHttpClient();
    private final HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** Made on first use: a client of its own starts a selector thread that other tests count. */
    private HttpClient following;
    /**
     * By {@link Login} and {@link ClientProxy}: clients that answer a server's or a proxy's
     * challenges, or have a proxy of their own, made on first use.
     */
    private final Map<String, HttpClient> configured = new ConcurrentHashMap<>();
    /** Made on first use: a client that keeps the cookies its servers set and sends them back. */
    private HttpClient keepingCookies;

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        HttpRequest request = request(call);
        Login login = Login.of(call);
        ClientProxy proxy = ClientProxy.of(call);
        HttpClient chosen = login != null || proxy != null
                ? configured.computeIfAbsent(Login.key(call) + "/" + ClientProxy.key(call), key -> {
                    HttpClient.Builder builder = HttpClient.newBuilder();
                    if (login != null) {
                        builder.authenticator(login.authenticator());
                    }
                    if (proxy != null) {
                        builder.proxy(ProxySelector.of(proxy.address()));
                    }
                    return builder.build();
                })
                : "on".equals(call.get("cookies")) ? keepingCookies()
                : "1.1".equals(call.get("version")) ? http11
                : "follow".equals(call.get("redirects")) ? following() : client;
        boolean stream = "inputStream".equals(call.get("handler"));
        Map<String, String> result = new LinkedHashMap<>();
        long start = System.nanoTime();
        Interrupter interrupter = Interrupter.schedule(call);
        try {
            HttpResponse<?> response = stream
                    ? send(chosen, request, HttpResponse.BodyHandlers.ofInputStream())
                    : send(chosen, request, HttpResponse.BodyHandlers.ofString());
            result.put("status", Integer.toString(response.statusCode()));
            Object body = response.body();
            if (body instanceof InputStream && Outcomes.counting()) {
                Outcomes.countBody((InputStream) body, result);
                body = "";
            } else if (body instanceof InputStream) {
                try (InputStream in = (InputStream) body) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            result.putIfAbsent("body", String.valueOf(body));
            response.headers().firstValue("X-Server-Note").ifPresent(note -> result.put("note", note));
        } catch (Exception e) {
            Throwable failure = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            result.put("error", failure.getClass().getName());
            result.put("errorMessage", String.valueOf(failure.getMessage()));
            result.put("suppressed", Integer.toString(failure.getCause() != null
                    ? failure.getCause().getSuppressed().length + failure.getSuppressed().length
                    : failure.getSuppressed().length));
        } finally {
            result.put("interrupted", Boolean.toString(interrupter.finish()));
        }
        result.put("elapsedMs", Long.toString((System.nanoTime() - start) / 1_000_000));
        return result;
    }

    private synchronized HttpClient keepingCookies() {
        if (keepingCookies == null) {
            keepingCookies = HttpClient.newBuilder().cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL)).build();
        }
        return keepingCookies;
    }

    private synchronized HttpClient following() {
        if (following == null) {
            following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        }
        return following;
    }

    abstract <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws Exception;

    static HttpRequest request(Map<String, String> call) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(call.get("url")));
        String body = call.getOrDefault("body", "");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest.BodyPublisher publisher;
        switch (call.getOrDefault("bodyKind", "none")) {
            case "string":
                publisher = HttpRequest.BodyPublishers.ofString(body);
                break;
            case "bytes":
                publisher = HttpRequest.BodyPublishers.ofByteArray(bytes);
                break;
            case "inputStream":
                publisher = HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes));
                break;
            case "publisher":
            case "oneShot":
                publisher = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofByteArray(bytes));
                break;
            case "absent":
                // No publisher at all, as GET() and DELETE() leave it.
                publisher = null;
                break;
            default:
                publisher = HttpRequest.BodyPublishers.noBody();
        }
        String method = call.getOrDefault("method", "GET");
        if (publisher != null) {
            builder.method(method, publisher);
        } else if (method.equals("DELETE")) {
            builder.DELETE();
        } else {
            builder.GET();
        }
        for (Map.Entry<String, String> e : call.entrySet()) {
            if (e.getKey().equalsIgnoreCase("h.Expect") && e.getValue().equalsIgnoreCase("100-continue")) {
                // The builder refuses Expect as a header: its own switch sends it, and waits for the 100.
                builder.expectContinue(true);
            } else if (e.getKey().startsWith("h.")) {
                builder.header(e.getKey().substring(2), e.getValue());
            }
        }
        if (call.containsKey("timeoutMs")) {
            builder.timeout(Duration.ofMillis(Long.parseLong(call.get("timeoutMs"))));
        }
        return builder.build();
    }

    /** {@code HttpClient.send}. */
    public static final class Send extends JdkDriver {
        @Override
        <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler)
                throws Exception {
            return client.send(request, handler);
        }
    }

    /** {@code HttpClient.sendAsync}, then waiting for the future. */
    public static final class Async extends JdkDriver {
        @Override
        <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler)
                throws Exception {
            CompletableFuture<HttpResponse<T>> future = client.sendAsync(request, handler);
            return future.get(60, TimeUnit.SECONDS);
        }
    }
}
