package io.tailguard.agent.instrumentation.okhttp.adapter;

import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.instrumentation.okhttp.CodecTagging;
import okhttp3.Headers;
import okhttp3.Request;
import okhttp3.internal.http2.Header;
import okio.Buffer;
import okio.BufferedSink;

/**
 * What OkHttp's codecs need of the agent to write an attempt's tags ({@link CodecTagging}), as plain
 * calls of this OkHttp's own API: the same descriptors in 3.14, 4.x and 5.x (okio 1.x to 3.x).
 */
final class CodecWire implements CodecTagging.Wire {

    /**
     * Whether this OkHttp lets the adapter make its HTTP/2 headers: not OkHttp 5 as a named module,
     * which does not export {@code okhttp3.internal.http2}.
     */
    static boolean usable() {
        Module module = Request.class.getModule();
        // By name: the class itself cannot be named here where its package is not exported.
        return !module.isNamed() || module.isExported("okhttp3.internal.http2");
    }

    @Override
    public boolean has(Object headers, String name) {
        return ((Headers) headers).get(name) != null;
    }

    @Override
    public boolean requestHas(Object request, String name) {
        return ((Request) request).header(name) != null;
    }

    @Override
    public void write(Object sink, AttemptSpec tags, int leftOut) {
        // Into the sink's buffer, as OkHttp's own header lines go before the block's last line
        // sends them on: nothing allocated, no check for a full segment after every piece.
        Buffer buffer = ((BufferedSink) sink).buffer();
        for (int i = 0, n = tags.headerCount(); i < n; i++) {
            if ((leftOut & 1 << i) == 0) {
                buffer.writeUtf8(tags.headerName(i)).writeUtf8(": ").writeUtf8(tags.headerValue(i)).writeUtf8("\r\n");
            }
        }
    }

    @Override
    public Object http2Header(String name, String value) {
        return new Header(name, value);
    }
}
