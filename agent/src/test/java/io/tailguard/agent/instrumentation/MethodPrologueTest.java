package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;
import org.objectweb.asm.util.TraceClassVisitor;

class MethodPrologueTest {

    private static final int SLOT = Dispatcher.SLOT_COUNT - 1;

    /** A class shaped like the methods the agent hooks: object, primitive and void results. */
    public static class Target {
        public String greet(String name, int times, long big, double ratio) throws IOException {
            if (name == null) {
                throw new IOException("no name");
            }
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < times; i++) {
                out.append(name);
            }
            return out + ":" + big + ":" + ratio;
        }

        public int count(boolean flag) {
            return flag ? 1 : 0;
        }

        public void fire() {
            throw new IllegalStateException("ran as written");
        }

        /**
         * A static method whose code holds both kinds of switch (their operands aligned to four
         * bytes from the method's start), a loop, a handler and a {@code long} local.
         */
        public static String classify(int status, String method) {
            String kind;
            switch (status / 100) {
                case 1:
                    kind = "info";
                    break;
                case 2:
                    kind = "ok";
                    break;
                case 3:
                    kind = "moved";
                    break;
                case 5:
                    kind = "server";
                    break;
                default:
                    kind = "other";
            }
            long digits = 0;
            for (char c : method.toCharArray()) {
                digits += Character.isDigit(c) ? 1 : 0;
            }
            try {
                Integer.parseInt(method);
            } catch (NumberFormatException notANumber) {
                digits = -digits;
            }
            switch (method) {
                case "GET":
                case "HEAD":
                    return kind + ":safe:" + digits;
                case "POST":
                    return kind + ":unsafe:" + digits;
                default:
                    return kind + ":" + method + ":" + digits;
            }
        }
    }

    /** The two ways the prologue is written: into the class file's bytes, as the agent does, and with ASM. */
    enum Rewriter {
        BYTES {
            @Override
            byte[] apply(byte[] classFile, List<Hook> hooks) {
                byte[] patched = MethodPrologue.patch(classFile, hooks);
                assertNotSame(MethodPrologue.BY_ASM, patched, "patched in its bytes");
                return patched;
            }
        },
        ASM {
            @Override
            byte[] apply(byte[] classFile, List<Hook> hooks) {
                return AsmPrologue.apply(classFile, hooks);
            }
        };

        abstract byte[] apply(byte[] classFile, List<Hook> hooks);
    }

    @AfterEach
    void uninstall() {
        Dispatcher.install(SLOT, null);
    }

    private Object instance() throws Exception {
        return instance(Rewriter.BYTES);
    }

    /**
     * A {@link Target} rewritten, defined by a class loader of its own: the JVM verifies it, its
     * stack map frames against its code included.
     */
    private Object instance(Rewriter rewriter) throws Exception {
        String name = Target.class.getName();
        byte[] original;
        try (InputStream in = Target.class.getResourceAsStream("/" + name.replace('.', '/') + ".class")) {
            original = in.readAllBytes();
        }
        String internal = name.replace('.', '/');
        byte[] transformed = rewriter.apply(original, List.of(
                new Hook(internal, "greet", "(Ljava/lang/String;IJD)Ljava/lang/String;", SLOT),
                new Hook(internal, "count", "(Z)I", SLOT),
                new Hook(internal, "fire", "()V", SLOT),
                new Hook(internal, "classify", "(ILjava/lang/String;)Ljava/lang/String;", SLOT)));
        verify(transformed);
        return DefinedApart.define(name, transformed).getConstructor().newInstance();
    }

    private static Object invoke(Object target, String method, Object... args) throws Throwable {
        for (Method m : target.getClass().getMethods()) {
            if (m.getName().equals(method)) {
                try {
                    return m.invoke(target, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        }
        throw new NoSuchMethodException(method);
    }

    @ParameterizedTest
    @EnumSource(Rewriter.class)
    void proceedRunsTheMethodAsWritten(Rewriter rewriter) throws Throwable {
        Object target = instance(rewriter);
        Object[][] seen = new Object[1][];
        Dispatcher.install(SLOT, (self, args) -> {
            seen[0] = args;
            return Dispatcher.PROCEED;
        });
        assertEquals("abab:7:0.5", invoke(target, "greet", "ab", 2, 7L, 0.5));
        assertEquals(List.of("ab", 2, 7L, 0.5), List.of(seen[0]));
        assertEquals(1, invoke(target, "count", true));
        assertThrows(IOException.class, () -> invoke(target, "greet", null, 1, 0L, 0.0));
        assertThrows(IllegalStateException.class, () -> invoke(target, "fire"));
        assertEquals("server:safe:0", invoke(target, "classify", 503, "GET"));
        assertEquals("ok:unsafe:0", invoke(target, "classify", 201, "POST"));
        assertEquals("other:42:2", invoke(target, "classify", 404, "42"));
        assertEquals(List.of(404, "42"), List.of(seen[0]), "a static method's arguments");
    }

    @ParameterizedTest
    @EnumSource(Rewriter.class)
    void anOutcomeReplacesTheMethodsResult(Rewriter rewriter) throws Throwable {
        Object target = instance(rewriter);
        Dispatcher.install(SLOT, (self, args) -> Outcome.returning(args == null ? null
                : args.length == 1 ? (Object) 42 : "intercepted " + args[0]));
        assertEquals("intercepted x", invoke(target, "greet", "x", 1, 0L, 0.0));
        assertEquals(42, invoke(target, "count", false));
        assertNull(invoke(target, "fire"), "a void method returns without running its body");
        assertEquals("intercepted 503", invoke(target, "classify", 503, "GET"));
    }

    @ParameterizedTest
    @EnumSource(Rewriter.class)
    void anOutcomeFailureIsThrownCheckedOrNot(Rewriter rewriter) throws Throwable {
        Object target = instance(rewriter);
        IOException checked = new IOException("from the engine");
        Dispatcher.install(SLOT, (self, args) -> Outcome.throwing(checked));
        assertSame(checked, assertThrows(IOException.class, () -> invoke(target, "greet", "x", 1, 0L, 0.0)));
    }

    @ParameterizedTest
    @EnumSource(Rewriter.class)
    void aFailingInterceptorFallsBackToThePlainMethod(Rewriter rewriter) throws Throwable {
        Object target = instance(rewriter);
        Dispatcher.install(SLOT, (self, args) -> {
            throw new IllegalStateException("agent bug");
        });
        assertEquals("x:0:0.0", invoke(target, "greet", "x", 1, 0L, 0.0));
    }

    @ParameterizedTest
    @EnumSource(Rewriter.class)
    void theSkipFlagLetsTheEnginesOwnCallThroughOnce(Rewriter rewriter) throws Throwable {
        Object target = instance(rewriter);
        Dispatcher.install(SLOT, (self, args) -> Outcome.returning(99));
        Dispatcher.skipNextInterception();
        assertEquals(1, invoke(target, "count", true));
        assertEquals(99, invoke(target, "count", true));
    }

    @Test
    void theAgentWritesThePrologueIntoTheBytesAndLeavesOnlyAClassWithOneAlreadyToAsm() throws Exception {
        byte[] once = MethodPrologue.apply(httpClientImpl(), jdkHooks());

        assertNotSame(MethodPrologue.BY_ASM, MethodPrologue.patch(httpClientImpl(), jdkHooks()));
        assertSame(MethodPrologue.BY_ASM, MethodPrologue.patch(once, jdkHooks()), "ASM reads which methods have one");
        assertNull(MethodPrologue.patch(httpClientImpl(), List.of(new Hook("jdk/internal/net/http/HttpClientImpl",
                "send", "()V", SLOT))), "no such method: left as it is");
    }

    @Test
    void hooksListedInAnyOrderPatchTheClassAlike() throws Exception {
        List<Hook> hooks = jdkHooks();
        List<Hook> reversed = new ArrayList<>(hooks);
        Collections.reverse(reversed);

        assertEquals(text(MethodPrologue.patch(httpClientImpl(), hooks)),
                text(MethodPrologue.patch(httpClientImpl(), reversed)));
        assertEquals(3, countPrologues(MethodPrologue.patch(httpClientImpl(), reversed)));
    }

    /**
     * Every method of every class of the JDK's HTTP client, OkHttp 3 and the Apache clients given a
     * prologue both ways: the same code, handlers, line and local variable tables and frames (as
     * ASM reads them back, each frame expanded), but for the byte patch's leading {@code nop}s.
     */
    @Test
    void theBytePatchWritesWhatAsmWritesForEveryMethodOfTheClientsClasses() throws Exception {
        List<byte[]> classes = new ArrayList<>();
        try (FileSystem jrt = FileSystems.newFileSystem(URI.create("jrt:/"), Map.of())) {
            try (Stream<Path> files = Files.walk(jrt.getPath("modules", "java.net.http"))) {
                for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    classes.add(Files.readAllBytes(file));
                }
            }
        }
        for (Class<?> inJar : List.of(okhttp3.OkHttpClient.class, org.apache.http.impl.client.CloseableHttpClient.class,
                org.apache.hc.client5.http.impl.classic.CloseableHttpClient.class,
                org.apache.hc.core5.http.HttpHost.class)) {
            try (JarFile jar = new JarFile(new File(inJar.getProtectionDomain().getCodeSource().getLocation().toURI()))) {
                for (JarEntry entry : Collections.list(jar.entries())) {
                    if (entry.getName().endsWith(".class") && !entry.getName().contains("module-info")
                            && !entry.getName().startsWith("META-INF/")) {
                        try (InputStream in = jar.getInputStream(entry)) {
                            classes.add(in.readAllBytes());
                        }
                    }
                }
            }
        }
        int methods = 0;
        int leftToAsm = 0;
        for (byte[] classFile : classes) {
            List<Hook> hooks = everyMethod(classFile);
            if (hooks.isEmpty()) {
                continue;
            }
            byte[] patched = MethodPrologue.patch(classFile, hooks);
            if (patched == MethodPrologue.BY_ASM) {
                leftToAsm++;
                continue;
            }
            String name = new ClassReader(classFile).getClassName();
            assertEquals("", difference(text(AsmPrologue.apply(classFile, hooks)), text(patched)), name);
            methods += hooks.size();
        }
        assertTrue(methods > 10_000, methods + " methods");
        assertTrue(leftToAsm < classes.size() / 100, leftToAsm + " classes left to ASM");
    }

    private static List<Hook> everyMethod(byte[] classFile) {
        List<Hook> hooks = new ArrayList<>();
        ClassReader reader = new ClassReader(classFile);
        reader.accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9) {
            @Override
            public org.objectweb.asm.MethodVisitor visitMethod(int access, String name, String descriptor,
                    String signature, String[] exceptions) {
                if ((access & (org.objectweb.asm.Opcodes.ACC_ABSTRACT | org.objectweb.asm.Opcodes.ACC_NATIVE)) == 0
                        && !name.startsWith("<")) {
                    hooks.add(new Hook(reader.getClassName(), name, descriptor, hooks.size() % 100));
                }
                return null;
            }
        }, ClassReader.SKIP_CODE);
        return hooks;
    }

    /** The first line that differs, with the five before it; empty when none does. */
    private static String difference(String expected, String actual) {
        String[] a = expected.split("\n");
        String[] b = actual.split("\n");
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            String x = i < a.length ? a[i] : "(end)";
            String y = i < b.length ? b[i] : "(end)";
            if (!x.equals(y)) {
                return String.join("\n", Arrays.copyOfRange(a, Math.max(0, i - 5), i)) + "\nASM:\n"
                        + String.join("\n", Arrays.copyOfRange(a, i, Math.min(a.length, i + 5))) + "\nbytes:\n"
                        + String.join("\n", Arrays.copyOfRange(b, i, Math.min(b.length, i + 5)));
            }
        }
        return "";
    }

    /** The class as ASM prints it, frames expanded, {@code nop}s left out. */
    private static String text(byte[] classFile) {
        StringWriter out = new StringWriter();
        new ClassReader(classFile).accept(new TraceClassVisitor(new PrintWriter(out)), ClassReader.EXPAND_FRAMES);
        StringBuilder kept = new StringBuilder();
        for (String line : out.toString().split("\n")) {
            if (!line.trim().equals("NOP")) {
                kept.append(line).append('\n');
            }
        }
        return kept.toString();
    }

    @Test
    void theJdkHttpClientImplementationStillVerifiesAfterTransformation() throws Exception {
        byte[] transformed = MethodPrologue.apply(httpClientImpl(), jdkHooks());
        verify(transformed);
        assertEquals(3, countPrologues(transformed));
    }

    @Test
    void aMethodThatHasAPrologueAlreadyGetsNoSecondOne() throws Exception {
        byte[] once = MethodPrologue.apply(httpClientImpl(), jdkHooks());

        assertNull(MethodPrologue.apply(once, jdkHooks()), "nothing left to add");
        assertEquals(3, countPrologues(once));
    }

    @Test
    void theConstantPoolIsKeptSoUnhookedMethodsAreCopiedUnparsed() throws Exception {
        byte[] original = httpClientImpl();
        byte[] transformed = MethodPrologue.apply(original, jdkHooks());

        // The pool (after magic, version and count) is the original's, with the prologues' entries
        // appended: what lets the writer copy every other method's bytes as they are.
        int poolEnd = new ClassReader(original).header;
        assertArrayEquals(Arrays.copyOfRange(original, 10, poolEnd), Arrays.copyOfRange(transformed, 10, poolEnd));
    }

    private static byte[] httpClientImpl() throws Exception {
        try (FileSystem jrt = FileSystems.newFileSystem(URI.create("jrt:/"), Map.of())) {
            return Files.readAllBytes(
                    jrt.getPath("modules", "java.net.http", "jdk/internal/net/http/HttpClientImpl.class"));
        }
    }

    private static List<Hook> jdkHooks() {
        return new io.tailguard.agent.instrumentation.jdk.JdkHttpClientInstrumentation().hooks();
    }

    private static int countPrologues(byte[] classFile) {
        int[] count = new int[1];
        new ClassReader(classFile).accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9) {
            @Override
            public org.objectweb.asm.MethodVisitor visitMethod(int access, String name, String descriptor,
                    String signature, String[] exceptions) {
                return new org.objectweb.asm.MethodVisitor(org.objectweb.asm.Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        if (owner.equals(MethodPrologue.DISPATCHER) && method.equals("enter")) {
                            count[0]++;
                        }
                    }
                };
            }
        }, 0);
        return count[0];
    }

    /** ASM's data-flow verifier over every method, stack map frames included. */
    private static void verify(byte[] classFile) {
        StringWriter report = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(classFile), MethodPrologueTest.class.getClassLoader(), false,
                new PrintWriter(report));
        assertEquals("", report.toString(), "verification failed");
    }
}
