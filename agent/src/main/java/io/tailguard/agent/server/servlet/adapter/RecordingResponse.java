package io.tailguard.agent.server.servlet.adapter;

import io.tailguard.agent.server.ResponseRecorder;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The response the servlet writes while the engine records it: everything goes to the container's
 * response as without the agent, and a copy of the body to the {@link ResponseRecorder}. What the
 * container writes itself after the servlet returns (an error page for {@code sendError}, a body
 * for {@code sendRedirect}), a body reset after it was written, and a body written on after a
 * flush (a stream) cannot be copied whole: the recorder hears that the response is not to be shared.
 */
final class RecordingResponse extends HttpServletResponseWrapper {

    private static final Set<String> SET_BY_CONTAINER = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

    static {
        SET_BY_CONTAINER.addAll(List.of("Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Date"));
    }

    private final ResponseRecorder recorder;
    private final byte[] oneByte = new byte[1];
    /** Whether the body is still copied: not once the recorder has had enough or it cannot be shared. */
    private boolean copying = true;
    private boolean flushed;
    private boolean finished;
    private ServletOutputStream stream;
    private PrintWriter writer;

    RecordingResponse(HttpServletResponse response, ResponseRecorder recorder) {
        super(response);
        this.recorder = recorder;
    }

    /** Headers the container writes for each response itself, never copied from one to another. */
    static boolean setByContainer(String name) {
        return SET_BY_CONTAINER.contains(name);
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        if (stream == null) {
            stream = new RecordingOutputStream(super.getOutputStream(), this);
        }
        return stream;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (writer == null) {
            PrintWriter container = super.getWriter();
            // Known only now: getting the writer fixes the response's character encoding.
            Charset charset = charset(getCharacterEncoding());
            if (charset == null) {
                notShared();
                writer = container;
            } else {
                writer = new PrintWriter(new RecordingWriter(container, charset, this));
            }
        }
        return writer;
    }

    private static Charset charset(String name) {
        try {
            return name == null ? null : Charset.forName(name);
        } catch (IllegalCharsetNameException | UnsupportedCharsetException unknown) {
            return null;
        }
    }

    @Override
    public void flushBuffer() throws IOException {
        super.flushBuffer();
        flushed();
    }

    @Override
    public void sendError(int status, String message) throws IOException {
        notShared();
        super.sendError(status, message);
    }

    @Override
    public void sendError(int status) throws IOException {
        notShared();
        super.sendError(status);
    }

    @Override
    public void sendRedirect(String location) throws IOException {
        notShared();
        super.sendRedirect(location);
    }

    @Override
    public void reset() {
        notShared();
        super.reset();
    }

    @Override
    public void resetBuffer() {
        notShared();
        super.resetBuffer();
    }

    void record(int b) {
        oneByte[0] = (byte) b;
        record(oneByte, 0, 1);
    }

    void record(byte[] bytes, int offset, int length) {
        if (flushed) {
            notShared();
        }
        if (copying && !finished && length > 0 && !recorder.body(bytes, offset, length)) {
            copying = false;
        }
    }

    /** A flush sends what was written so far; more written after it makes the response a stream. */
    void flushed() {
        flushed = true;
    }

    private void notShared() {
        if (copying && !finished) {
            copying = false;
            recorder.streamed();
        }
    }

    /** The servlet returned ({@code failure == null}) or threw. */
    void finish(Throwable failure, boolean asynchronous) {
        if (asynchronous) {
            notShared();
        }
        if (!finished) {
            recorder.headers(getStatus(), headers());
            recorder.finished(failure);
            finished = true;
        }
    }

    /** The headers the servlet set, as the container holds them; the content type by its own accessor. */
    private Map<String, List<String>> headers() {
        HttpServletResponse response = (HttpServletResponse) getResponse();
        Map<String, List<String>> headers = new LinkedHashMap<>();
        Set<String> seen = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : response.getHeaderNames()) {
            if (!name.equalsIgnoreCase("Content-Type") && !setByContainer(name) && seen.add(name)) {
                headers.put(name, new ArrayList<>(response.getHeaders(name)));
            }
        }
        String contentType = response.getContentType();
        if (contentType != null) {
            headers.put("Content-Type", List.of(contentType));
        }
        return headers;
    }
}
