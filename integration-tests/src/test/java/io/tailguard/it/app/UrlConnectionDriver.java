package io.tailguard.it.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.CookieHandler;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@code java.net.HttpURLConnection} used the way applications use it: open, set the method,
 * headers and timeouts, write a body ({@code bodyKind}: {@code buffered} or any other kind,
 * {@code fixed} or {@code oneShot} for {@code setFixedLengthStreamingMode}, {@code chunked} for
 * {@code setChunkedStreamingMode}), then {@code getResponseCode()} and the body from
 * {@code getInputStream()} or, for an error status, {@code getErrorStream()}.
 * {@code first=inputStream} calls {@code getInputStream()} first, as code that catches its
 * exception does. {@code openBody=false} sets the body's mode but never calls
 * {@code getOutputStream()} (the JDK opens it at the exchange). {@code readHeader=Name} reports
 * that response header as {@code header}, as {@code getHeaderFields()} has it as
 * {@code headerFields}, and {@code getContentLengthLong()} as {@code contentLength}.
 * {@code interrupted=true} makes the call on a thread whose interrupt flag is set.
 * {@code credentials} or {@code proxyCredentials} ({@link Login}) gives the connection an
 * {@code Authenticator}. {@code cookies=on} installs a {@code CookieManager} as the JVM's
 * {@code CookieHandler} (from then on, for every connection, as an application does).
 * {@code proxy} ({@link ClientProxy}) opens the connection through that proxy.
 */
public final class UrlConnectionDriver implements ClientDriver {

    private static synchronized void keepCookies() {
        if (CookieHandler.getDefault() == null) {
            CookieHandler.setDefault(new CookieManager(null, CookiePolicy.ACCEPT_ALL));
        }
    }

    @Override
    public Map<String, String> call(Map<String, String> call) {
        return Outcomes.timed(result -> exchange(call, result));
    }

    private static void exchange(Map<String, String> call, Map<String, String> result) throws IOException {
        if ("on".equals(call.get("cookies"))) {
            keepCookies();
        }
        ClientProxy proxy = ClientProxy.of(call);
        URL url = new URL(call.get("url"));
        HttpURLConnection connection = (HttpURLConnection) (proxy == null ? url.openConnection()
                : url.openConnection(proxy.proxy()));
        connection.setRequestMethod(call.getOrDefault("method", "GET"));
        Outcomes.headers(call, connection::setRequestProperty);
        Login login = Login.of(call);
        if (login != null) {
            connection.setAuthenticator(login.authenticator());
        }
        if (call.containsKey("timeoutMs")) {
            int timeout = Integer.parseInt(call.get("timeoutMs"));
            connection.setConnectTimeout(timeout);
            connection.setReadTimeout(timeout);
        }
        String kind = call.getOrDefault("bodyKind", "none");
        if (!"none".equals(kind)) {
            byte[] body = call.getOrDefault("body", "").getBytes(StandardCharsets.UTF_8);
            connection.setDoOutput(true);
            if ("fixed".equals(kind) || "oneShot".equals(kind)) {
                // A body the application streams as it produces it: the one-shot body of this API.
                connection.setFixedLengthStreamingMode(body.length);
            } else if ("chunked".equals(kind)) {
                connection.setChunkedStreamingMode(0);
            }
            if (!"false".equals(call.get("openBody"))) {
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
            }
        }
        if ("true".equals(call.get("interrupted"))) {
            // A thread whose interrupt flag is set: the JDK's socket I/O does not look at it.
            Thread.currentThread().interrupt();
        }
        try {
            respond(connection, call, result);
        } finally {
            if ("true".equals(call.get("interrupted"))) {
                result.put("stillInterrupted", Boolean.toString(Thread.interrupted()));
            }
        }
    }

    private static void respond(HttpURLConnection connection, Map<String, String> call, Map<String, String> result)
            throws IOException {
        if ("inputStream".equals(call.get("first"))) {
            try {
                result.put("body", read(connection.getInputStream()));
            } catch (IOException e) {
                result.put("inputStreamError", e.getClass().getName());
            }
        }
        int status = connection.getResponseCode();
        result.put("status", Integer.toString(status));
        String note = connection.getHeaderField("X-Server-Note");
        if (note != null) {
            result.put("note", note);
        }
        if (call.containsKey("readHeader")) {
            result.put("header", String.valueOf(connection.getHeaderField(call.get("readHeader"))));
            List<String> all = connection.getHeaderFields().get(call.get("readHeader"));
            result.put("headerFields", String.valueOf(all));
            result.put("contentLength", Long.toString(connection.getContentLengthLong()));
        }
        if (!result.containsKey("body")) {
            if (status >= 400) {
                InputStream error = connection.getErrorStream();
                result.put("body", error == null ? "(no error stream)" : read(error));
            } else {
                result.put("body", read(connection.getInputStream()));
            }
        }
    }

    private static String read(InputStream in) throws IOException {
        try (InputStream body = in) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            body.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
