package io.tailguard.agent.instrumentation.okhttp;

import static io.tailguard.agent.instrumentation.okhttp.CodecTagging.EXCHANGE;
import static io.tailguard.agent.instrumentation.okhttp.CodecTagging.HTTP1;

import io.tailguard.agent.instrumentation.ClassFilePatch;

/**
 * {@link CodecTagging#rewrite}, in the classes' bytes ({@link ClassFilePatch}; no ASM is loaded
 * for it): a call to the dispatcher at the start of the exchange's method, and in the middle of
 * each codec's, where the value it passes on is on the stack. The same places in OkHttp 3.14
 * (Java), 4 and 5 (Kotlin): checked with {@code javap} on 3.14.9, 4.12.0 and 5.5.1.
 */
final class CodecRewrite {

    private static final String DISPATCHER = "io/tailguard/bootstrap/Dispatcher";
    private static final String WRITE_HEADERS_DESCRIPTOR = "(Lokhttp3/Request;)V";
    private static final String WRITE_REQUEST_DESCRIPTOR = "(Lokhttp3/Headers;Ljava/lang/String;)V";
    private static final String SINK = "Lokio/BufferedSink;";
    private static final int STATIC = 0x0008;
    private static final int DUP = 0x59;
    private static final int ALOAD_0 = 0x2a;
    private static final int ALOAD_1 = 0x2b;
    private static final int ALOAD_2 = 0x2c;
    private static final int GETFIELD = 0xb4;
    private static final int INVOKEVIRTUAL = 0xb6;
    private static final int INVOKESTATIC = 0xb8;

    private CodecRewrite() {
    }

    /** The class with its instructions added, or {@code null} when it is not as expected. */
    static byte[] apply(String className, byte[] classFile) {
        ClassFilePatch patch = ClassFilePatch.of(classFile);
        boolean http1 = className.equals(HTTP1);
        ClassFilePatch.Member method = patch.method(http1 ? "writeRequest" : "writeRequestHeaders",
                http1 ? WRITE_REQUEST_DESCRIPTOR : WRITE_HEADERS_DESCRIPTOR);
        if (method == null || (method.access() & STATIC) != 0) {
            return null;
        }
        if (className.equals(EXCHANGE)) {
            return exchange(patch, method) ? patch.toBytes() : null;
        }
        int[] code = patch.instructions(method);
        boolean done = code != null && (http1 ? headerLines(patch, method, code) : headerList(patch, method, code));
        return done ? patch.toBytes() : null;
    }

    /** {@code Dispatcher.codecExchange(this.call)} first in {@code Exchange.writeRequestHeaders}. */
    private static boolean exchange(ClassFilePatch patch, ClassFilePatch.Member method) {
        ClassFilePatch.Member call = patch.field("call", null);
        if (call == null || (call.access() & STATIC) != 0 || !call.descriptor().startsWith("L")) {
            return false;
        }
        ClassFilePatch.Bytes code = new ClassFilePatch.Bytes().u1(ALOAD_0)
                .u1(GETFIELD).u2(patch.ownFieldRef("call", call.descriptor()))
                .u1(INVOKESTATIC).u2(patch.methodRef(DISPATCHER, "codecExchange", "(Ljava/lang/Object;)V"));
        return patch.prepend(method, ClassFilePatch.aligned(code), 1, 0);
    }

    /**
     * {@code Dispatcher.codecHeaderLines(sink, headers, requestLine)} in {@code
     * Http1ExchangeCodec.writeRequest}, just before the header block's last line: the method's last
     * {@code "\r\n"}, loaded right after the sink it is written to (a field or a getter's result)
     * and then written with the sink's {@code writeUtf8}. The sink on the stack there is passed on with a {@code dup}.
     */
    private static boolean headerLines(ClassFilePatch patch, ClassFilePatch.Member method, int[] code) {
        int lastLine = -1;
        for (int i = 0; i < code.length; i++) {
            if ("\r\n".equals(patch.loadedString(method, code[i]))) {
                lastLine = i;
            }
        }
        if (lastLine < 1 || lastLine + 1 >= code.length) {
            return false;
        }
        int read = patch.opcode(method, code[lastLine - 1]);
        String[] sink = patch.memberUsed(method, code[lastLine - 1]);
        boolean sinkOnStack = sink != null
                && (read == GETFIELD ? sink[1].equals(SINK) : read >= INVOKEVIRTUAL && sink[1].endsWith(")" + SINK));
        if (!sinkOnStack || !patch.invokes(method, code[lastLine + 1], "okio/BufferedSink", "writeUtf8",
                "(Ljava/lang/String;)" + SINK)) {
            return false;
        }
        ClassFilePatch.Bytes call = new ClassFilePatch.Bytes().u1(DUP).u1(ALOAD_1).u1(ALOAD_2)
                .u1(INVOKESTATIC).u2(patch.methodRef(DISPATCHER, "codecHeaderLines",
                        "(Ljava/lang/Object;Ljava/lang/Object;Ljava/lang/String;)V"));
        return patch.insert(method, code[lastLine], call.toArray(), 3);
    }

    /**
     * {@code Dispatcher.codecHeaderList(list, request)} in {@code
     * Http2ExchangeCodec.writeRequestHeaders}, right after its one {@code http2HeadersList(request)}
     * (a static method in 3.14, the companion's in 4 and 5) made the list, which is on the stack.
     */
    private static boolean headerList(ClassFilePatch patch, ClassFilePatch.Member method, int[] code) {
        int made = -1;
        for (int i = 0; i < code.length; i++) {
            String[] used = patch.memberUsed(method, code[i]);
            if (used != null && used[0].equals("http2HeadersList")
                    && used[1].equals("(Lokhttp3/Request;)Ljava/util/List;")) {
                if (made >= 0) {
                    return false;
                }
                made = i;
            }
        }
        if (made < 0 || made + 1 >= code.length) {
            return false;
        }
        ClassFilePatch.Bytes call = new ClassFilePatch.Bytes().u1(DUP).u1(ALOAD_1)
                .u1(INVOKESTATIC).u2(patch.methodRef(DISPATCHER, "codecHeaderList",
                        "(Ljava/lang/Object;Ljava/lang/Object;)V"));
        return patch.insert(method, code[made + 1], call.toArray(), 2);
    }
}
