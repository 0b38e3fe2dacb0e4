package io.tailguard.bench.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.SocketFactory;

/**
 * Connections to a {@link MiniHttpServer.Handler} that never leave the JVM: a client given this
 * factory writes its request into memory, where the request is read as the server reads it and
 * answered by the handler on the writing thread, and reads the response from memory. No kernel,
 * no other thread: what a call costs is the client's work (and the agent's) plus the server's
 * reading of the request, all on the calling thread, as steady as the JVM itself.
 *
 * <p>The sockets implement what a blocking client asks of a connected socket (OkHttp: connect,
 * streams, timeouts, the health check's read); a read with nothing to read reports a timeout, as
 * a socket whose peer is silent would.
 */
public final class MemorySockets extends SocketFactory {

    /** What answers the connections {@link #answering()} makes: the benchmark's own servers' handler, once given. */
    private static volatile MiniHttpServer.Handler answering = MiniHttpServer.fastHandler();

    private final MiniHttpServer.Handler handler;
    private final AtomicInteger created = new AtomicInteger();

    public MemorySockets(MiniHttpServer.Handler handler) {
        this.handler = handler;
    }

    /** Connections answered by the handler last given to {@link #answerWith} (the {@code fast} server's until then). */
    public static MemorySockets answering() {
        return new MemorySockets(answering);
    }

    /** What answers the connections of the factories {@link #answering()} makes from now on. */
    public static void answerWith(MiniHttpServer.Handler handler) {
        answering = handler;
    }

    @Override
    public Socket createSocket() {
        created.incrementAndGet();
        return new MemorySocket(handler);
    }

    /** How many connections the client made. */
    public int created() {
        return created.get();
    }

    @Override
    public Socket createSocket(String host, int port) {
        throw connectedByTheClient();
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw connectedByTheClient();
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
        throw connectedByTheClient();
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw connectedByTheClient();
    }

    private static UnsupportedOperationException connectedByTheClient() {
        return new UnsupportedOperationException("unconnected sockets only: the client connects them");
    }

    /** One connection; used by one thread at a time, as a client uses a pooled connection. */
    private static final class MemorySocket extends Socket {
        private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

        private final MiniHttpServer.Handler handler;
        /** The request written so far, up to the end of its head. */
        private byte[] request = new byte[1024];
        private int requestLength;
        /** How many bytes of {@link #END_OF_HEAD} the bytes written so far end with. */
        private int headEnd;
        /** What the server's side reads a request with, as its connection's thread does: one per connection. */
        private final MiniHttpServer.Wire wire = new MiniHttpServer.Wire(new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException("read in blocks");
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = Math.min(len, requestLength - requestRead);
                if (n <= 0) {
                    return -1; // the head is complete before the server reads it
                }
                System.arraycopy(request, requestRead, b, off, n);
                requestRead += n;
                return n;
            }
        });
        /** How much of {@link #request} the server's side has read. */
        private int requestRead;
        /** The responses not read yet. */
        private byte[] response = new byte[0];
        private int responseAt;
        private InetSocketAddress remote;
        private volatile boolean closed;
        /** The server's side answered a request asking to close the connection: its end follows the response. */
        private boolean answeredLast;
        private int soTimeout;

        MemorySocket(MiniHttpServer.Handler handler) {
            this.handler = handler;
        }

        private final InputStream in = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (responseAt == response.length) {
                    if (closed || answeredLast) {
                        return -1;
                    }
                    throw new SocketTimeoutException("nothing to read: the client reads before it wrote a request");
                }
                int n = Math.min(len, response.length - responseAt);
                System.arraycopy(response, responseAt, b, off, n);
                responseAt += n;
                return n;
            }

            @Override
            public int available() {
                return response.length - responseAt;
            }
        };

        private final OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int i = off; i < off + len; i++) {
                    headEnd = b[i] == END_OF_HEAD[headEnd] ? headEnd + 1 : b[i] == '\r' ? 1 : 0;
                    if (headEnd == END_OF_HEAD.length) {
                        headEnd = 0;
                        append(b, off, i + 1 - off);
                        len -= i + 1 - off;
                        off = i + 1;
                        answer();
                    }
                }
                append(b, off, len);
            }
        };

        private void append(byte[] b, int off, int len) {
            if (requestLength + len > request.length) {
                request = Arrays.copyOf(request, Math.max(request.length * 2, requestLength + len));
            }
            System.arraycopy(b, off, request, requestLength, len);
            requestLength += len;
        }

        /** Answers the request whose head was just written (the benchmarks' requests have no body). */
        private void answer() throws IOException {
            MiniHttpServer.Request read = MiniHttpServer.readRequest(wire);
            requestLength = 0;
            requestRead = 0;
            MiniHttpServer.Response answer;
            try {
                answer = handler.handle(read);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while answering");
            }
            // As the server's connection thread does: a client asking to close gets the response that
            // says so, and the end of the stream after it.
            boolean keepAlive = read.keepsAlive();
            answeredLast = !keepAlive;
            byte[] bytes = answer.bytes(keepAlive, read.method.equals("HEAD"));
            int unread = response.length - responseAt;
            if (unread == 0) {
                response = bytes; // the server's own bytes, never written to
            } else {
                byte[] next = new byte[unread + bytes.length];
                System.arraycopy(response, responseAt, next, 0, unread);
                System.arraycopy(bytes, 0, next, unread, bytes.length);
                response = next;
            }
            responseAt = 0;
        }

        @Override
        public void connect(SocketAddress endpoint, int timeout) {
            remote = (InetSocketAddress) endpoint;
        }

        @Override
        public void connect(SocketAddress endpoint) {
            connect(endpoint, 0);
        }

        @Override
        public InputStream getInputStream() {
            return in;
        }

        @Override
        public OutputStream getOutputStream() {
            return out;
        }

        @Override
        public boolean isConnected() {
            return remote != null;
        }

        @Override
        public boolean isBound() {
            return remote != null;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public boolean isInputShutdown() {
            return closed;
        }

        @Override
        public boolean isOutputShutdown() {
            return closed;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public void shutdownInput() {
        }

        @Override
        public void shutdownOutput() {
        }

        @Override
        public void setSoTimeout(int timeout) {
            soTimeout = timeout;
        }

        @Override
        public int getSoTimeout() {
            return soTimeout;
        }

        @Override
        public void setTcpNoDelay(boolean on) {
        }

        @Override
        public void setKeepAlive(boolean on) {
        }

        @Override
        public InetAddress getInetAddress() {
            return remote == null ? null : remote.getAddress();
        }

        @Override
        public int getPort() {
            return remote == null ? 0 : remote.getPort();
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return remote;
        }

        @Override
        public InetAddress getLocalAddress() {
            return InetAddress.getLoopbackAddress();
        }

        @Override
        public int getLocalPort() {
            return 0;
        }
    }
}
