package io.tailguard.agent.server.servlet.adapter;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;

/** The container's output stream, with a copy of each byte written for the recording response. */
final class RecordingOutputStream extends ServletOutputStream {

    private final ServletOutputStream container;
    private final RecordingResponse recording;

    RecordingOutputStream(ServletOutputStream container, RecordingResponse recording) {
        this.container = container;
        this.recording = recording;
    }

    @Override
    public void write(int b) throws IOException {
        container.write(b);
        recording.record(b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        container.write(bytes, offset, length);
        recording.record(bytes, offset, length);
    }

    @Override
    public void flush() throws IOException {
        container.flush();
        recording.flushed();
    }

    @Override
    public void close() throws IOException {
        container.close();
    }

    @Override
    public boolean isReady() {
        return container.isReady();
    }

    @Override
    public void setWriteListener(WriteListener listener) {
        container.setWriteListener(listener);
    }
}
