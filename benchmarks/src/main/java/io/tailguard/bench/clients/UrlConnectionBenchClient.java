package io.tailguard.bench.clients;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.time.Duration;

/**
 * {@code java.net.HttpURLConnection} as applications use it: a connection per call from
 * {@code URL.openConnection()}, the body read to its end and closed, so that the JDK's keep-alive
 * cache hands the socket to the next call.
 */
public final class UrlConnectionBenchClient implements BenchClient {

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
        for (int i = 0; i < headers.length; i += 2) {
            connection.setRequestProperty(headers[i], headers[i + 1]);
        }
        if (timeout != null) {
            connection.setConnectTimeout((int) timeout.toMillis());
            connection.setReadTimeout((int) timeout.toMillis());
        }
        int status = connection.getResponseCode();
        try (InputStream body = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
            if (body != null) {
                body.transferTo(OutputStream.nullOutputStream());
            }
        }
        return status;
    }

    @Override
    public void close() throws IOException {
        // Nothing of its own: the JDK's keep-alive cache closes idle connections itself.
    }
}
