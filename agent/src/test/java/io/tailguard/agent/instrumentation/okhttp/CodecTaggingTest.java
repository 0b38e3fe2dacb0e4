package io.tailguard.agent.instrumentation.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tailguard.agent.instrumentation.DefinedApart;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The rewriting of OkHttp's exchange and codecs (3.14 here, the version the adapter is compiled
 * against): each gets its one call to the dispatcher where it belongs, and passes the JVM's verifier. That the
 * codecs then write the tags, on 3.14, 4.12 and 5, is shown on the wire by {@code OkHttpCodecTagsTest}.
 */
class CodecTaggingTest {

    @Test
    void theExchangePassesItsCallBeforeAnythingElse() throws Exception {
        byte[] rewritten = rewrittenAndVerified(CodecTagging.EXCHANGE);

        List<String> calls = calls(rewritten, "writeRequestHeaders");
        assertEquals("Dispatcher.codecExchange", calls.get(0), calls.toString());
    }

    @Test
    void theHttp1CodecHandsItsSinkOverJustBeforeTheBlocksLastLine() throws Exception {
        byte[] rewritten = rewrittenAndVerified(CodecTagging.HTTP1);

        List<String> calls = calls(rewritten, "writeRequest");
        int end = calls.indexOf("Dispatcher.codecHeaderLines");
        assertEquals(calls.lastIndexOf("Dispatcher.codecHeaderLines"), end, "once: " + calls);
        assertEquals("BufferedSink.writeUtf8", calls.get(end + 1), "the block's last line: " + calls);
        assertEquals(List.of(), calls.subList(end + 2, calls.size()).stream()
                .filter(call -> call.endsWith("writeUtf8")).toList(), "nothing written after it");
    }

    @Test
    void theHttp2CodecHandsItsHeaderListOverOnceMade() throws Exception {
        byte[] rewritten = rewrittenAndVerified(CodecTagging.HTTP2);

        List<String> calls = calls(rewritten, "writeRequestHeaders");
        int made = calls.indexOf("Http2ExchangeCodec.http2HeadersList");
        assertEquals("Dispatcher.codecHeaderList", calls.get(made + 1), calls.toString());
    }

    @Test
    void aClassNotAsExpectedIsLeftAlone() throws Exception {
        byte[] other = classFile("okhttp3/Request");
        assertNull(CodecTagging.rewrite(CodecTagging.HTTP1, other));
        assertNull(CodecTagging.rewrite(CodecTagging.EXCHANGE, classFile(CodecTagging.HTTP2)));
        assertNull(CodecTagging.rewrite(CodecTagging.HTTP2, classFile(CodecTagging.EXCHANGE)));
    }

    /** Rewritten, then defined in a class loader of its own and linked: HotSpot's verifier checks it. */
    private byte[] rewrittenAndVerified(String className) throws Exception {
        byte[] rewritten = CodecTagging.rewrite(className, classFile(className));
        assertNotNull(rewritten, className);
        Class<?> defined = DefinedApart.define(className.replace('/', '.'), rewritten);
        assertNotEquals(getClass().getClassLoader(), defined.getClassLoader());
        return rewritten;
    }

    private static byte[] classFile(String name) throws Exception {
        try (InputStream in = CodecTaggingTest.class.getClassLoader().getResourceAsStream(name + ".class")) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    /** The calls made by the instance method {@code method}, as {@code Owner.name}. */
    private static List<String> calls(byte[] classFile, String method) {
        List<String> calls = new ArrayList<>();
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                if (!name.equals(method) || (access & Opcodes.ACC_STATIC) != 0) {
                    return null;
                }
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String name, String desc, boolean itf) {
                        calls.add(owner.substring(owner.lastIndexOf('/') + 1) + "." + name);
                    }
                };
            }
        }, 0);
        return calls;
    }
}
