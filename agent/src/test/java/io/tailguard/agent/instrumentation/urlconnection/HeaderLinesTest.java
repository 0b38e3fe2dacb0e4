package io.tailguard.agent.instrumentation.urlconnection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * The rewriting of the running JDK's {@code sun.net.www.MessageHeader} (17 and 25 in the build):
 * one call, just before the header block's last line, and a result that verifies, whether made in
 * the class file's bytes or, for a class without its stack map frames, with ASM. That the
 * connection then writes the tags is shown on the wire by {@code UrlConnectionTagLinesTest}.
 */
class HeaderLinesTest {

    @Test
    void thePrintingCallsTheDispatcherOnceJustBeforeTheBlocksLastLine() throws Exception {
        byte[] rewritten = HeaderLines.rewrite(messageHeader());

        assertNotNull(rewritten);
        assertCallsTheDispatcherBeforeTheLastLine(rewritten);
    }

    /**
     * The class as first defined is rewritten in its bytes, ASM not involved: rewritten with ASM
     * there, it held up the application's thread that needs it for as long as ASM took. A class
     * the JVM re-creates for a retransformation may lack its stack map frames (the JDK 17's own
     * classes do), which the byte patch goes by: ASM rewrites that one, and only that one.
     */
    @Test
    void theClassIsRewrittenAsDefinedWithoutAsmAndWithAsmOnlyWhenRetransformedWithoutFrames() throws Exception {
        byte[] original = messageHeader();
        byte[] withoutFrames = withoutFrames(original);
        Class<?> loaded = Class.forName("sun.net.www.MessageHeader", false, null);
        HeaderLines transformer = new HeaderLines();

        assertNotNull(transformer.transform(null, "sun/net/www/MessageHeader", null, null, original));
        assertNull(HeaderLines.rewrite(withoutFrames));
        assertNull(transformer.transform(null, "sun/net/www/MessageHeader", null, null, withoutFrames));
        byte[] retransformed = transformer.transform(null, "sun/net/www/MessageHeader", loaded, null, withoutFrames);
        assertNotNull(retransformed);
        assertCallsTheDispatcherBeforeTheLastLine(retransformed);
        assertNull(transformer.transform(getClass().getClassLoader(), "sun/net/www/MessageHeader", null, null, original));
    }

    private void assertCallsTheDispatcherBeforeTheLastLine(byte[] rewritten) {
        assertEquals(List.of("Dispatcher.printWireTags", "PrintStream.print(Ljava/lang/String;)V", "PrintStream.flush"),
                callsFrom(rewritten, "Dispatcher.printWireTags"));
        StringWriter report = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(rewritten), getClass().getClassLoader(), false, new PrintWriter(report));
        assertEquals("", report.toString(), "verification failed");
    }

    private static byte[] withoutFrames(byte[] classFile) {
        ClassWriter writer = new ClassWriter(0);
        new ClassReader(classFile).accept(writer, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }

    @Test
    void aClassWithoutThatPrintingIsLeftAlone() throws Exception {
        try (FileSystem jrt = FileSystems.newFileSystem(URI.create("jrt:/"), Map.of())) {
            byte[] other = Files.readAllBytes(jrt.getPath("modules", "java.base", "java/lang/Object.class"));
            assertNull(HeaderLines.rewrite(other));
        }
    }

    private static byte[] messageHeader() throws Exception {
        try (FileSystem jrt = FileSystems.newFileSystem(URI.create("jrt:/"), Map.of())) {
            return Files.readAllBytes(jrt.getPath("modules", "java.base", "sun/net/www/MessageHeader.class"));
        }
    }

    /** The calls of the static {@code print} from the first one named {@code from} on. */
    private static List<String> callsFrom(byte[] classFile, String from) {
        List<String> calls = new ArrayList<>();
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                if (!name.equals("print") || (access & Opcodes.ACC_STATIC) == 0) {
                    return null;
                }
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        String simple = owner.substring(owner.lastIndexOf('/') + 1) + "." + method;
                        String call = simple.equals("PrintStream.print") ? simple + desc : simple;
                        if (call.equals(from) || !calls.isEmpty()) {
                            calls.add(call);
                        }
                    }
                };
            }
        }, 0);
        return calls;
    }
}
