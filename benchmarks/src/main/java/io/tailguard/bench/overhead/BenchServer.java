package io.tailguard.bench.overhead;

import io.tailguard.bench.server.MiniHttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import javax.net.ServerSocketFactory;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * The two servers the per-call benchmarks run against, both in the benchmark's JVM on
 * 127.0.0.1: {@code fast}, a server that does next to nothing (so the client's own cost dominates),
 * and {@code mockwebserver}, OkHttp's MockWebServer, the kind of loopback server tests use. Each
 * notes whether a request arrived with Tailguard's tagging header, which tells whether the agent
 * handled the call.
 */
abstract class BenchServer implements AutoCloseable {

    volatile boolean sawTagging;

    abstract String url();

    @Override
    public abstract void close();

    static BenchServer start(String kind) throws IOException {
        switch (kind) {
            case "fast":
                return new Fast();
            case "mockwebserver":
                return new Mock();
            default:
                throw new IllegalArgumentException("unknown server " + kind);
        }
    }

    private static final class Fast extends BenchServer {
        private final MiniHttpServer server;

        Fast() throws IOException {
            MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
            server = new MiniHttpServer(request -> {
                if (request.header("x-attempt") != null) {
                    sawTagging = true;
                }
                return ok;
            });
        }

        @Override
        String url() {
            return server.url("/");
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private static final class Mock extends BenchServer {
        private final MockWebServer server = new MockWebServer();
        private final Thread drain;
        private volatile boolean closed;

        Mock() throws IOException {
            MockResponse ok = new MockResponse.Builder().code(200).body("ok").build();
            server.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) {
                    if (request.getHeaders().get("X-Attempt") != null) {
                        sawTagging = true;
                    }
                    return ok;
                }
            });
            server.setServerSocketFactory(new NoDelayServerSocketFactory());
            server.start(InetAddress.getByName("127.0.0.1"), 0);
            // MockWebServer keeps every request it recorded; take them so that a benchmark of
            // millions of calls does not measure a growing heap.
            drain = new Thread(() -> {
                try {
                    while (!closed) {
                        if (server.takeRequest(100, TimeUnit.MILLISECONDS) == null) {
                            continue;
                        }
                    }
                } catch (InterruptedException stopped) {
                    // closing
                }
            }, "mockwebserver-drain");
            drain.setDaemon(true);
            drain.start();
        }

        @Override
        String url() {
            return "http://127.0.0.1:" + server.getPort() + "/";
        }

        @Override
        public void close() {
            closed = true;
            drain.interrupt();
            server.close();
        }
    }

    /**
     * Accepted sockets with {@code TCP_NODELAY}: MockWebServer writes a response's headers and body
     * separately, and with Nagle's algorithm the body waits for the client's delayed ACK, which
     * turns a loopback call into a 40 ms one (measured: 45 ms per call without this).
     */
    private static final class NoDelayServerSocketFactory extends ServerSocketFactory {
        @Override
        public ServerSocket createServerSocket() throws IOException {
            return new ServerSocket() {
                @Override
                public Socket accept() throws IOException {
                    Socket socket = super.accept();
                    socket.setTcpNoDelay(true);
                    return socket;
                }
            };
        }

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            return createServerSocket(port, 50);
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog) throws IOException {
            return createServerSocket(port, backlog, null);
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
            ServerSocket socket = createServerSocket();
            socket.bind(new InetSocketAddress(address, port), backlog);
            return socket;
        }
    }
}
