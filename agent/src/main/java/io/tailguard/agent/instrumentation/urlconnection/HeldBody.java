package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.bootstrap.Dispatcher;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.util.Objects;

/**
 * The stream {@code getOutputStream()} returns for a body the application writes in
 * {@code setFixedLengthStreamingMode} or {@code setChunkedStreamingMode} to a request the policy
 * may send more than once. Without the agent the JDK writes the headers and then the body to the
 * socket as it comes, so it could be sent only once. Here the body is held, up to {@code limit}
 * bytes, in the JDK's own buffer for a body sent whole; when the exchange starts, a body held
 * whole is sent like one written without a streaming mode (with {@code Content-Length}, so a
 * chunked body changes its framing, not its bytes) and can be sent again.
 *
 * <p>A body that outgrows the limit, or writes past its announced fixed length, or ends short of
 * it, is committed: the JDK's streaming stream is made as without the agent (the request headers
 * go out), the bytes held so far are written to it and the rest follows as the application writes
 * it. That request is sent once, untagged, like any streamed one; a length error is the JDK's own.
 *
 * <p>The state lives on the connection (the buffer, the JDK's stream once committed), so a second
 * {@code getOutputStream()} may return a second instance over the same body.
 */
final class HeldBody extends OutputStream {

    private final HttpURLConnection connection;
    private final ConnectionFields fields;
    private final ByteArrayOutputStream held;
    private final long limit;
    /** The announced length, or {@code -1} for a chunked body. */
    private final long fixedLength;
    private boolean closed;

    HeldBody(HttpURLConnection connection, ConnectionFields fields, ByteArrayOutputStream held, long limit,
            long fixedLength) {
        this.connection = connection;
        this.fields = fields;
        this.held = held;
        this.limit = limit;
        this.fixedLength = fixedLength;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("Stream is closed");
        }
        OutputStream streamed = streamed();
        if (streamed == null) {
            long after = held.size() + (long) len;
            if (after <= limit && (fixedLength < 0 || after <= fixedLength)) {
                held.write(b, off, len);
                return;
            }
            streamed = commit(connection, fields);
        }
        streamed.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
        OutputStream streamed = streamed();
        if (streamed != null) {
            streamed.flush();
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        OutputStream streamed = streamed();
        if (streamed == null && fixedLength >= 0 && held.size() != fixedLength) {
            // Short of its announced length: the JDK's stream reports that as it does without the agent.
            streamed = commit(connection, fields);
        }
        if (streamed != null) {
            streamed.close();
        }
    }

    private OutputStream streamed() {
        return fields.streamingOutput(connection);
    }

    /**
     * Sends the held body the way the application asked for: the JDK's streaming stream is made
     * (the request headers go to the socket) and the bytes held so far are written to it.
     *
     * @return the JDK's stream, for the rest of the body
     */
    static OutputStream commit(HttpURLConnection connection, ConnectionFields fields) throws IOException {
        byte[] bytes = fields.bodyBuffer(connection).toByteArray();
        fields.dropBodyBuffer(connection);
        OutputStream streamed;
        Dispatcher.skipNextInterception();
        try {
            streamed = connection.getOutputStream();
        } finally {
            Dispatcher.clearSkip();
        }
        streamed.write(bytes);
        return streamed;
    }
}
