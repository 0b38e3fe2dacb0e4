package io.tailguard.agent.server.servlet.adapter;

import java.io.PrintWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;

/**
 * The container's writer, with a copy of each character written, encoded in the response's
 * character encoding as the container encodes it, for the recording response.
 */
final class RecordingWriter extends Writer {

    private final PrintWriter container;
    private final CharsetEncoder encoder;
    private final RecordingResponse recording;
    /** A high surrogate written last, whose pair comes with the next write. */
    private String pending = "";

    RecordingWriter(PrintWriter container, Charset charset, RecordingResponse recording) {
        this.container = container;
        this.encoder = charset.newEncoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        this.recording = recording;
    }

    @Override
    public void write(char[] chars, int offset, int length) {
        container.write(chars, offset, length);
        record(CharBuffer.wrap(chars, offset, length));
    }

    @Override
    public void write(String text, int offset, int length) {
        container.write(text, offset, length);
        record(CharBuffer.wrap(text, offset, offset + length));
    }

    @Override
    public void write(int c) {
        container.write(c);
        record(CharBuffer.wrap(new char[] {(char) c}));
    }

    private void record(CharBuffer chars) {
        CharBuffer in = pending.isEmpty() ? chars : CharBuffer.wrap(pending + chars);
        ByteBuffer out = ByteBuffer.allocate((int) Math.ceil(in.remaining() * (double) encoder.maxBytesPerChar()) + 8);
        encoder.encode(in, out, false);
        pending = in.hasRemaining() ? in.toString() : "";
        recording.record(out.array(), 0, out.position());
    }

    @Override
    public void flush() {
        container.flush();
        recording.flushed();
    }

    @Override
    public void close() {
        container.close();
    }
}
