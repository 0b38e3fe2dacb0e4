package io.tailguard.agent.instrumentation.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * The rewriting of the running JDK's own client classes (17 and 25 in the build): what each gets,
 * that the result verifies, and that a class not as expected is left alone. That the client then
 * sends the tags is shown on the wire by the integration tests ({@code JdkTaggingWireTest}).
 */
class WireTaggingTest {

    private static final String FIELD = "tailguard$tags";

    @Test
    void theRequestCopyGetsTheFieldAndEveryConstructorFromARequestSetsItFirst() throws Exception {
        byte[] rewritten = WireTagging.rewriteRequestCopy(jdkClass("HttpRequestImpl"));

        assertNotNull(rewritten);
        Shape shape = Shape.of(rewritten);
        assertEquals(List.of(FIELD + " Ljava/lang/Object; synthetic transient"), shape.addedFields);
        // From the request the client is given, and from the copy a redirect or an authentication
        // retry is derived from; the builder's and the CONNECT request's constructors are left alone.
        assertTrue(shape.setters.contains("<init>(Ljava/net/http/HttpRequest;Ljava/net/ProxySelector;)V"
                + " Dispatcher.wireTags"), shape.setters.toString());
        assertTrue(shape.setters.stream().anyMatch(s -> s.startsWith("<init>(Ljava/net/URI;Ljava/lang/String;"
                + "Ljdk/internal/net/http/HttpRequestImpl;Z") && s.endsWith(" copied")), shape.setters.toString());
        assertTrue(shape.setters.stream().noneMatch(s -> s.contains("HttpRequestBuilderImpl")
                || s.contains("InetSocketAddress")), shape.setters.toString());
        verify(rewritten);
    }

    @Test
    void theHttp1WriterAndTheHttp2StreamHandTheirRequestCopysTagsToTheDispatcherFirst() throws Exception {
        byte[] http1 = WireTagging.prologue(jdkClass("Http1Request"), "collectCookies",
                "(Ljava/lang/StringBuilder;Ljava/net/http/HttpHeaders;Ljava/net/http/HttpHeaders;)V", false);
        byte[] stream = WireTagging.prologue(jdkClass("Stream"), "headerFrame",
                "(J)Ljdk/internal/net/http/frame/OutgoingHeaders;", true);

        assertEquals("writeWireTags", Shape.of(http1).firstCalls.get("collectCookies"));
        assertEquals("addWireTags", Shape.of(stream).firstCalls.get("headerFrame"));
        verify(http1);
        verify(stream);
    }

    @Test
    void aClassNotAsExpectedIsLeftAlone() throws Exception {
        byte[] client = jdkClass("HttpClientImpl");

        assertNull(WireTagging.prologue(client, "collectCookies",
                "(Ljava/lang/StringBuilder;Ljava/net/http/HttpHeaders;Ljava/net/http/HttpHeaders;)V", false),
                "no such method");
        assertNull(WireTagging.prologue(jdkClass("Http1Request"), "collectCookies", "()V", false),
                "another signature");
        assertNull(WireTagging.rewriteRequestCopy(WireTagging.rewriteRequestCopy(jdkClass("HttpRequestImpl"))),
                "the field is there already");
    }

    private static byte[] jdkClass(String simpleName) throws Exception {
        try (FileSystem jrt = FileSystems.newFileSystem(URI.create("jrt:/"), Map.of())) {
            return Files.readAllBytes(
                    jrt.getPath("modules", "java.net.http", "jdk/internal/net/http/" + simpleName + ".class"));
        }
    }

    /** ASM's data-flow verifier over every method, stack map frames included. */
    private static void verify(byte[] classFile) {
        StringWriter report = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(classFile), WireTaggingTest.class.getClassLoader(), false,
                new PrintWriter(report));
        assertEquals("", report.toString(), "verification failed");
    }

    /** What a rewritten class holds of ours. */
    private static final class Shape {
        final List<String> addedFields = new ArrayList<>();
        /** Constructors that set the field: how ("Dispatcher.wireTags" or "copied"). */
        final List<String> setters = new ArrayList<>();
        /** Per method, the first method it calls (reading a header map aside). */
        final Map<String, String> firstCalls = new java.util.HashMap<>();

        static Shape of(byte[] classFile) {
            Shape shape = new Shape();
            new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public FieldVisitor visitField(int access, String name, String descriptor, String signature,
                        Object value) {
                    if (name.equals(FIELD)) {
                        shape.addedFields.add(name + " " + descriptor
                                + ((access & Opcodes.ACC_SYNTHETIC) != 0 ? " synthetic" : "")
                                + ((access & Opcodes.ACC_TRANSIENT) != 0 ? " transient" : ""));
                    }
                    return null;
                }

                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                        String[] exceptions) {
                    return new MethodVisitor(Opcodes.ASM9) {
                        private String lastCall;
                        private boolean copied;

                        @Override
                        public void visitMethodInsn(int opcode, String owner, String method, String desc,
                                boolean isInterface) {
                            if (!owner.equals("java/net/http/HttpHeaders")) {
                                shape.firstCalls.putIfAbsent(name, method);
                            }
                            lastCall = owner.endsWith("/Dispatcher") ? "Dispatcher." + method : method;
                        }

                        @Override
                        public void visitFieldInsn(int opcode, String owner, String field, String desc) {
                            if (!field.equals(FIELD)) {
                                return;
                            }
                            if (opcode == Opcodes.GETFIELD) {
                                copied = true;
                            } else if (opcode == Opcodes.PUTFIELD) {
                                shape.setters.add(name + descriptor + " "
                                        + (copied ? "copied" : lastCall));
                            }
                        }
                    };
                }
            }, 0);
            return shape;
        }
    }
}
