package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ServerSocketFactory;
import javax.net.ssl.SSLSocketFactory;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Protocol;

/**
 * A MockWebServer on 127.0.0.1 that also records when each request arrived, and tracks its
 * connections: how many were opened, and how many the client has closed. The application reaches
 * it as {@code 127.0.0.1} (which test policies match) or as {@code localhost} (which they don't).
 */
public final class TestServer implements AutoCloseable {

    private final MockWebServer server = new MockWebServer();
    private final BlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
    private final ConcurrentLinkedQueue<MockResponse> queue = new ConcurrentLinkedQueue<>();
    private volatile Function<RecordedRequest, MockResponse> responder;
    private final List<TrackedSocket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();

    private final String scheme;

    public TestServer() {
        this(null);
    }

    /**
     * @param tls when not {@code null}, the server speaks HTTPS with it and offers HTTP/2 by ALPN
     *     before HTTP/1.1
     */
    public TestServer(SSLSocketFactory tls) {
        this.scheme = tls == null ? "http" : "https";
        if (tls != null) {
            server.useHttps(tls);
            server.setProtocols(List.of(Protocol.HTTP_2, Protocol.HTTP_1_1));
        }
        server.setServerSocketFactory(new TrackingServerSocketFactory());
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                requests.incrementAndGet();
                arrivals.add(new Arrival(System.nanoTime(), request));
                Function<RecordedRequest, MockResponse> r = responder;
                if (r != null) {
                    return r.apply(request);
                }
                MockResponse next = queue.poll();
                return next != null ? next : new MockResponse.Builder().code(200).body("default").build();
            }

            @Override
            public MockResponse peek() {
                MockResponse next = queue.peek();
                return next != null ? next : super.peek();
            }
        });
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Responses in arrival order; after the queue runs out every request gets 200 "default". */
    public TestServer enqueue(MockResponse... responses) {
        for (MockResponse response : responses) {
            queue.add(response);
        }
        return this;
    }

    /** Answers every request with a function of the request instead of the queue. */
    public TestServer respondWith(Function<RecordedRequest, MockResponse> responder) {
        this.responder = responder;
        return this;
    }

    public static MockResponse status(int code) {
        return new MockResponse.Builder().code(code).body("status " + code).build();
    }

    public static MockResponse ok(String body) {
        return new MockResponse.Builder().code(200).body(body).build();
    }

    /** A URL on the matched host name, 127.0.0.1. */
    public String url(String path) {
        return scheme + "://127.0.0.1:" + server.getPort() + path;
    }

    /** The same server under a host name no test policy matches. */
    public String unmatchedUrl(String path) {
        return scheme + "://localhost:" + server.getPort() + path;
    }

    public int port() {
        return server.getPort();
    }

    /** The next request to arrive, waiting up to 10 seconds. */
    public Arrival take() throws InterruptedException {
        Arrival arrival = arrivals.poll(10, TimeUnit.SECONDS);
        if (arrival == null) {
            throw new AssertionError("no request arrived within 10 s");
        }
        return arrival;
    }

    /**
     * The next two requests, a primary and its hedge, in attempt order ({@code X-Attempt} 1
     * first): they may reach the server in either order.
     */
    public Arrival[] takeByAttempt() throws InterruptedException {
        Arrival a = take();
        Arrival b = take();
        return "1".equals(a.header("X-Attempt")) ? new Arrival[] {a, b} : new Arrival[] {b, a};
    }

    /**
     * The next two requests, checked to be a primary and its hedge of one logical request by their
     * tags (attempt 1 and not a hedge; attempt 2 and a hedge; one request id), in that order.
     */
    public Arrival[] takePrimaryAndHedge() throws InterruptedException {
        Arrival[] attempts = takeByAttempt();
        Arrival primary = attempts[0];
        Arrival hedge = attempts[1];
        assertEquals("1", primary.header("X-Attempt"));
        assertEquals("false", primary.header("X-Is-Hedge"));
        assertEquals("2", hedge.header("X-Attempt"));
        assertEquals("true", hedge.header("X-Is-Hedge"));
        oneRequestId(List.of(primary, hedge));
        return attempts;
    }

    /**
     * Checks that these requests belong to one logical request, by their {@code X-Request-ID}: one
     * id, present on the first.
     *
     * @return that id
     */
    public static String oneRequestId(List<Arrival> arrivals) {
        String id = arrivals.get(0).header("X-Request-ID");
        assertNotNull(id);
        for (Arrival arrival : arrivals) {
            assertEquals(id, arrival.header("X-Request-ID"), "one request id on every request: " + arrivals.size());
        }
        return id;
    }

    /** The requests that arrived so far, without waiting. */
    public List<Arrival> drain() {
        List<Arrival> all = new ArrayList<>();
        arrivals.drainTo(all);
        return all;
    }

    /** Requests dispatched so far (a connection dropped before its request was read counts too). */
    public int requestCount() {
        return requests.get();
    }

    public int connectionsOpened() {
        return sockets.size();
    }

    /** Connections that are open from the server's side: the client has not closed them. */
    public int connectionsOpen() {
        int open = 0;
        for (TrackedSocket socket : sockets) {
            if (!socket.clientClosed && !socket.isClosed()) {
                open++;
            }
        }
        return open;
    }

    /**
     * Connections to this server that some client on this machine holds open, read from the
     * kernel's TCP table (Linux): established sockets whose remote end is this server's port.
     * Unlike the server's own view this does not depend on the server reading the connection
     * again after a client gave up on it.
     */
    public int clientConnectionsOpen() {
        int open = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[2].contains(":") && "01".equals(f[3])) {
                        int remotePort = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
                        if (remotePort == server.getPort()) {
                            open++;
                        }
                    }
                }
            } catch (IOException | NumberFormatException e) {
                throw new IllegalStateException("cannot read " + table, e);
            }
        }
        return open;
    }

    /** Connections whose client end was closed (the server read end-of-stream or a reset). */
    public int connectionsClosedByClient() {
        int closed = 0;
        for (TrackedSocket socket : sockets) {
            if (socket.clientClosed) {
                closed++;
            }
        }
        return closed;
    }

    @Override
    public void close() {
        server.close();
    }

    /** A request and when it arrived. */
    public static final class Arrival {
        public final long nanos;
        public final RecordedRequest request;

        Arrival(long nanos, RecordedRequest request) {
            this.nanos = nanos;
            this.request = request;
        }

        public String header(String name) {
            return request.getHeaders().get(name);
        }

        public String body() {
            return request.getBody() == null ? "" : request.getBody().utf8();
        }
    }

    private final class TrackingServerSocketFactory extends ServerSocketFactory {
        @Override
        public ServerSocket createServerSocket() throws IOException {
            return new ServerSocket() {
                @Override
                public Socket accept() throws IOException {
                    TrackedSocket socket = new TrackedSocket();
                    implAccept(socket);
                    sockets.add(socket);
                    return socket;
                }
            };
        }

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            ServerSocket socket = createServerSocket();
            socket.bind(new InetSocketAddress(port));
            return socket;
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog) throws IOException {
            ServerSocket socket = createServerSocket();
            socket.bind(new InetSocketAddress(port), backlog);
            return socket;
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
            ServerSocket socket = createServerSocket();
            SocketAddress endpoint = new InetSocketAddress(address, port);
            socket.bind(endpoint, backlog);
            return socket;
        }
    }

    /** A server-side socket that notices when the client closes its end. */
    private static final class TrackedSocket extends Socket {
        volatile boolean clientClosed;

        @Override
        public InputStream getInputStream() throws IOException {
            return new FilterInputStream(super.getInputStream()) {
                @Override
                public int read() throws IOException {
                    return noteEnd(guarded(() -> super.read()));
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return noteEnd(guarded(() -> super.read(b, off, len)));
                }
            };
        }

        private int noteEnd(int n) {
            if (n < 0) {
                clientClosed = true;
            }
            return n;
        }

        private int guarded(IoRead read) throws IOException {
            try {
                return read.read();
            } catch (IOException e) {
                if (!isClosed()) {
                    clientClosed = true;
                }
                throw e;
            }
        }

        private interface IoRead {
            int read() throws IOException;
        }
    }
}
