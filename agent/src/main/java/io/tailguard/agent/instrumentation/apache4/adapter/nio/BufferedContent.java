package io.tailguard.agent.instrumentation.apache4.adapter.nio;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.http.nio.ContentDecoder;
import org.apache.http.nio.IOControl;
import org.apache.http.nio.protocol.HttpAsyncResponseConsumer;

/**
 * A buffered body handed to the application's consumer as if it arrived from the connection: a
 * decoder over the bytes, and an I/O control with nothing to control.
 */
final class BufferedContent implements ContentDecoder {

    private static final IOControl NO_IO = new IOControl() {
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

    private final ByteBuffer bytes;

    private BufferedContent(byte[] body) {
        this.bytes = ByteBuffer.wrap(body);
    }

    /**
     * Feeds {@code body} to {@code consumer} until it has read all of it. A consumer that stops
     * reading (one that suspends input, say) is given the rest on the next call, as the connection
     * would; one that reads nothing three times in a row gets no more.
     */
    static void replay(byte[] body, HttpAsyncResponseConsumer<?> consumer) throws IOException {
        BufferedContent content = new BufferedContent(body);
        int idle = 0;
        while (!content.isCompleted() && idle < 3 && !consumer.isDone()) {
            int before = content.bytes.remaining();
            consumer.consumeContent(content, NO_IO);
            idle = content.bytes.remaining() == before ? idle + 1 : 0;
        }
    }

    @Override
    public int read(ByteBuffer dst) {
        if (!bytes.hasRemaining()) {
            return -1;
        }
        int n = Math.min(dst.remaining(), bytes.remaining());
        ByteBuffer slice = bytes.duplicate();
        slice.limit(slice.position() + n);
        dst.put(slice);
        bytes.position(bytes.position() + n);
        return n;
    }

    @Override
    public boolean isCompleted() {
        return !bytes.hasRemaining();
    }
}
