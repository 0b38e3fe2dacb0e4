package io.tailguard.bench.clients;

import io.tailguard.bench.server.MemorySockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.apache.http.HttpHost;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.protocol.HttpContext;
import org.apache.http.util.EntityUtils;

/** Apache HttpClient 4.5 {@code execute}. */
public final class Apache4BenchClient implements BenchClient {

    private final CloseableHttpClient client;

    /** A pool as large as the lab's concurrency; the default (2 per route) would queue the calls. */
    public Apache4BenchClient() {
        this(HttpClients.custom().setMaxConnPerRoute(1000).setMaxConnTotal(1000).build());
    }

    private Apache4BenchClient(CloseableHttpClient client) {
        this.client = client;
    }

    /**
     * Over connections in memory ({@link MemorySockets#answering()}), registered for {@code http} as
     * the plain socket factory is ({@code apache4-memory}, measured only where named).
     */
    public static Apache4BenchClient inMemory() {
        MemorySockets sockets = MemorySockets.answering();
        ConnectionSocketFactory plain = new ConnectionSocketFactory() {
            @Override
            public Socket createSocket(HttpContext context) {
                return sockets.createSocket();
            }

            @Override
            public Socket connectSocket(int connectTimeout, Socket socket, HttpHost host, InetSocketAddress remoteAddress,
                    InetSocketAddress localAddress, HttpContext context) throws IOException {
                socket.connect(remoteAddress, connectTimeout);
                return socket;
            }
        };
        PoolingHttpClientConnectionManager connections = new PoolingHttpClientConnectionManager(
                RegistryBuilder.<ConnectionSocketFactory>create().register("http", plain).build());
        connections.setMaxTotal(1000);
        connections.setDefaultMaxPerRoute(1000);
        return new Apache4BenchClient(HttpClients.custom().setConnectionManager(connections).build());
    }

    @Override
    public int get(String url, Duration timeout, String... headers) throws Exception {
        HttpGet get = new HttpGet(url);
        for (int i = 0; i < headers.length; i += 2) {
            get.setHeader(headers[i], headers[i + 1]);
        }
        if (timeout != null) {
            int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            get.setConfig(RequestConfig.custom().setSocketTimeout(millis).build());
        }
        try (CloseableHttpResponse response = client.execute(get)) {
            EntityUtils.consume(response.getEntity());
            return response.getStatusLine().getStatusCode();
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
