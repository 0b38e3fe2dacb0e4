package io.tailguard.agent.instrumentation.apache4.adapter.nio;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.http.nio.ContentDecoder;
import org.apache.http.nio.IOControl;
import org.apache.http.nio.protocol.HttpAsyncResponseConsumer;

/**
 * A buffered body handed to the application's consumer as if it arrived from the connection: a
 * decoder over the bytes held, optionally followed by the rest of the body from the connection's
 * own decoder (a body committed part way through), and an I/O control with nothing to control for
 * a body held whole.
 */
final class BufferedContent implements ContentDecoder {

    static final IOControl NO_IO = new IOControl() {
        @Override
        public void requestInput() {
        }

        @Override
        public void suspendInput() {
        }

        @Override
        public void requestOutput() {
        }

        @Override
        public void suspendOutput() {
        }

        @Override
        public void shutdown() {
        }
    };

    private final ByteBuffer[] held;
    /** What follows the bytes held: the connection's decoder of the current call, or nothing. */
    private ContentDecoder rest;

    BufferedContent(ByteBuffer... held) {
        this.held = held;
    }

    /**
     * Feeds {@code body} to {@code consumer} until it has read all of it. A consumer that stops
     * reading (one that suspends input, say) is given the rest on the next call, as the connection
     * would; one that reads nothing three times in a row gets no more.
     */
    static void replay(byte[] body, HttpAsyncResponseConsumer<?> consumer) throws IOException {
        new BufferedContent(ByteBuffer.wrap(body)).feed(consumer, null, NO_IO);
    }

    /**
     * Feeds the bytes held to {@code consumer} as {@link #replay} does; once they are read, the same
     * calls read on from {@code rest} (when not {@code null}), with the connection's {@code io}.
     */
    void feed(HttpAsyncResponseConsumer<?> consumer, ContentDecoder rest, IOControl io) throws IOException {
        this.rest = rest;
        try {
            int idle = 0;
            while (holding() && idle < 3 && !consumer.isDone()) {
                long before = heldBytes();
                consumer.consumeContent(this, io);
                idle = heldBytes() == before ? idle + 1 : 0;
            }
        } finally {
            this.rest = null;
        }
    }

    /** Whether some of the bytes held are not read yet. */
    boolean holding() {
        return heldBytes() > 0;
    }

    private long heldBytes() {
        long n = 0;
        for (ByteBuffer part : held) {
            n += part.remaining();
        }
        return n;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        for (ByteBuffer part : held) {
            if (part.hasRemaining()) {
                int n = Math.min(dst.remaining(), part.remaining());
                ByteBuffer slice = part.duplicate();
                slice.limit(slice.position() + n);
                dst.put(slice);
                part.position(part.position() + n);
                return n;
            }
        }
        return rest == null ? -1 : rest.read(dst);
    }

    @Override
    public boolean isCompleted() {
        return !holding() && (rest == null || rest.isCompleted());
    }
}
