package io.tailguard.bench.server;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.1 server on 127.0.0.1: one thread per connection, keep-alive, GET and HEAD with
 * a body of at most a few kilobytes. It does as little as a server can, so that what a benchmark
 * measures is the client; a {@link Handler} decides each response and may take as long as it
 * likes (the lab's latency and capacity models block in it).
 */
public final class MiniHttpServer implements AutoCloseable {

    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final ServerSocket listener;
    private final Handler handler;
    private final String address;
    private final ExecutorService connections = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "mini-http");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    public MiniHttpServer(Handler handler) throws IOException {
        this(handler, "127.0.0.1");
    }

    /** A server on another loopback address (127.0.0.2, ...): one host name per configuration in one JVM. */
    public MiniHttpServer(Handler handler, String loopbackAddress) throws IOException {
        this.handler = handler;
        this.address = loopbackAddress;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getByName(loopbackAddress), 0), 1024);
        Thread accept = new Thread(this::acceptLoop, "mini-http-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /** A server that answers every request with 200 and a two-byte body, at once. */
    public static MiniHttpServer fast() throws IOException {
        return new MiniHttpServer(fastHandler());
    }

    /** The {@link #fast} server's handler: 200 and a two-byte body, at once. */
    public static Handler fastHandler() {
        Response ok = Response.of(200, "ok");
        return request -> ok;
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    public int connectionsAccepted() {
        return accepted.get();
    }

    public String url(String path) {
        return "http://" + address + ":" + port() + path;
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket socket : open) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        connections.shutdownNow();
        try {
            connections.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true);
                accepted.incrementAndGet();
                open.add(socket);
                connections.execute(() -> serve(socket));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("[mini-http] accept failed: " + e);
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            Wire in = new Wire(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (!closed) {
                Request request = readRequest(in);
                if (request == null) {
                    return;
                }
                long received = System.nanoTime();
                Response response = handler.handle(request);
                boolean keepAlive = request.keepsAlive();
                try {
                    out.write(response.bytes(keepAlive, request.method.equals("HEAD")));
                    out.flush();
                    handler.sent(request, response, received, true);
                } catch (IOException clientGone) {
                    handler.sent(request, response, received, false);
                    return;
                }
                if (!keepAlive) {
                    return;
                }
            }
        } catch (EOFException | SocketException endOfConnection) {
            // the client closed the connection
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                System.err.println("[mini-http] connection failed: " + e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(socket);
        }
    }

    /** @return the next request on the connection, or {@code null} when the client closed it */
    static Request readRequest(Wire in) throws IOException {
        String requestLine = in.readLine(true);
        if (requestLine == null) {
            return null;
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3) {
            throw new IOException("bad request line: " + requestLine);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        int headerBytes = 0;
        for (String line = in.readLine(false); !line.isEmpty(); line = in.readLine(false)) {
            headerBytes += line.length();
            if (headerBytes > MAX_HEADER_BYTES) {
                throw new IOException("request headers too large");
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        String length = headers.get("content-length");
        if (length != null) {
            in.skip(Long.parseLong(length));
        } else if (headers.containsKey("transfer-encoding")) {
            throw new IOException("chunked request bodies are not supported");
        }
        return new Request(parts[0], parts[1], headers);
    }

    /**
     * A connection's bytes, buffered and read by one thread: lines are found in the buffer and
     * decoded in one step, where a {@code BufferedInputStream} would lock for every byte (a cost per
     * header byte that would pass for the client's in a benchmark).
     */
    static final class Wire {
        private final InputStream in;
        private final byte[] buffer = new byte[MAX_HEADER_BYTES + 1024];
        private int position;
        private int limit;

        Wire(InputStream in) {
            this.in = in;
        }

        /** Reads more into the buffer; {@code false} at the end of the stream. */
        private boolean fill() throws IOException {
            if (position == limit) {
                position = 0;
                limit = 0;
            } else if (limit == buffer.length) {
                System.arraycopy(buffer, position, buffer, 0, limit - position);
                limit -= position;
                position = 0;
            }
            int n = in.read(buffer, limit, buffer.length - limit);
            if (n < 0) {
                return false;
            }
            limit += n;
            return true;
        }

        /** A line without its CRLF (or LF), in ISO-8859-1; {@code null} at a clean end of the stream. */
        String readLine(boolean endAllowed) throws IOException {
            int scanned = position;
            while (true) {
                for (int i = scanned; i < limit; i++) {
                    if (buffer[i] == '\n') {
                        int end = i > position && buffer[i - 1] == '\r' ? i - 1 : i;
                        String line = new String(buffer, position, end - position, StandardCharsets.ISO_8859_1);
                        position = i + 1;
                        return line;
                    }
                }
                if (position == 0 && limit == buffer.length) {
                    throw new IOException("request line or header longer than " + buffer.length + " bytes");
                }
                scanned = limit - position;
                boolean more = fill();
                if (!more) {
                    if (endAllowed && limit == position) {
                        return null;
                    }
                    throw new EOFException();
                }
                scanned += position;
            }
        }

        /** Skips a body of {@code length} bytes. */
        void skip(long length) throws IOException {
            long remaining = length;
            while (remaining > 0) {
                if (position == limit && !fill()) {
                    throw new EOFException();
                }
                int n = (int) Math.min(remaining, limit - position);
                position += n;
                remaining -= n;
            }
        }
    }

    /** Decides the response to a request; may block. */
    public interface Handler {
        Response handle(Request request) throws InterruptedException;

        /** The response was written ({@code delivered}) or the client had gone. */
        default void sent(Request request, Response response, long receivedNanos, boolean delivered) {
        }
    }

    /** A request as read from the wire: method, target and headers (names in lower case). */
    public static final class Request {
        public final String method;
        public final String target;
        private final Map<String, String> headers;

        Request(String method, String target, Map<String, String> headers) {
            this.method = method;
            this.target = target;
            this.headers = headers;
        }

        /** @param name in lower case */
        public String header(String name) {
            return headers.get(name);
        }

        /** Whether the connection stays open after the response: unless the client asked to close it. */
        boolean keepsAlive() {
            return !"close".equalsIgnoreCase(header("connection"));
        }
    }

    /** A complete response, pre-encoded where it is constant. */
    public static final class Response {
        public final int status;
        private final byte[] keepAlive;
        private final byte[] keepAliveHead;
        private final byte[] close;

        private Response(int status, String body) {
            this.status = status;
            this.keepAlive = encode(status, body, false, false);
            this.keepAliveHead = encode(status, body, false, true);
            this.close = encode(status, body, true, false);
        }

        public static Response of(int status, String body) {
            return new Response(status, body);
        }

        byte[] bytes(boolean keepAliveConnection, boolean head) {
            if (!keepAliveConnection) {
                return close;
            }
            return head ? keepAliveHead : keepAlive;
        }

        private static byte[] encode(int status, String body, boolean close, boolean head) {
            byte[] content = body.getBytes(StandardCharsets.UTF_8);
            String head0 = "HTTP/1.1 " + status + " " + reason(status) + "\r\n"
                    + "Content-Type: text/plain\r\n"
                    + "Content-Length: " + content.length + "\r\n"
                    + (close ? "Connection: close\r\n" : "")
                    + "\r\n";
            byte[] headBytes = head0.getBytes(StandardCharsets.US_ASCII);
            if (head) {
                return headBytes;
            }
            byte[] all = new byte[headBytes.length + content.length];
            System.arraycopy(headBytes, 0, all, 0, headBytes.length);
            System.arraycopy(content, 0, all, headBytes.length, content.length);
            return all;
        }

        private static String reason(int status) {
            switch (status) {
                case 200:
                    return "OK";
                case 503:
                    return "Service Unavailable";
                default:
                    return "Status";
            }
        }
    }
}
