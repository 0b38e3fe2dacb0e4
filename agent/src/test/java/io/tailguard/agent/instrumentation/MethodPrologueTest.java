package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

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
    }

    @AfterEach
    void uninstall() {
        Dispatcher.install(SLOT, null);
    }

    private Object instance() throws Exception {
        String name = Target.class.getName();
        byte[] original;
        try (InputStream in = Target.class.getResourceAsStream("/" + name.replace('.', '/') + ".class")) {
            original = in.readAllBytes();
        }
        String internal = name.replace('.', '/');
        byte[] transformed = MethodPrologue.apply(original, List.of(
                new Hook(internal, "greet", "(Ljava/lang/String;IJD)Ljava/lang/String;", SLOT),
                new Hook(internal, "count", "(Z)I", SLOT),
                new Hook(internal, "fire", "()V", SLOT)));
        verify(transformed);
        ClassLoader loader = new ClassLoader(getClass().getClassLoader()) {
            @Override
            protected Class<?> loadClass(String n, boolean resolve) throws ClassNotFoundException {
                if (n.equals(name)) {
                    return defineClass(n, transformed, 0, transformed.length);
                }
                return super.loadClass(n, resolve);
            }
        };
        return loader.loadClass(name).getConstructor().newInstance();
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

    @Test
    void proceedRunsTheMethodAsWritten() throws Throwable {
        Object target = instance();
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
    }

    @Test
    void anOutcomeReplacesTheMethodsResult() throws Throwable {
        Object target = instance();
        Dispatcher.install(SLOT, (self, args) -> Outcome.returning(args == null ? null
                : args.length == 1 ? (Object) 42 : "intercepted " + args[0]));
        assertEquals("intercepted x", invoke(target, "greet", "x", 1, 0L, 0.0));
        assertEquals(42, invoke(target, "count", false));
        assertNull(invoke(target, "fire"), "a void method returns without running its body");
    }

    @Test
    void anOutcomeFailureIsThrownCheckedOrNot() throws Throwable {
        Object target = instance();
        IOException checked = new IOException("from the engine");
        Dispatcher.install(SLOT, (self, args) -> Outcome.throwing(checked));
        assertSame(checked, assertThrows(IOException.class, () -> invoke(target, "greet", "x", 1, 0L, 0.0)));
    }

    @Test
    void aFailingInterceptorFallsBackToThePlainMethod() throws Throwable {
        Object target = instance();
        Dispatcher.install(SLOT, (self, args) -> {
            throw new IllegalStateException("agent bug");
        });
        assertEquals("x:0:0.0", invoke(target, "greet", "x", 1, 0L, 0.0));
    }

    @Test
    void theSkipFlagLetsTheEnginesOwnCallThroughOnce() throws Throwable {
        Object target = instance();
        Dispatcher.install(SLOT, (self, args) -> Outcome.returning(99));
        Dispatcher.skipNextInterception();
        assertEquals(1, invoke(target, "count", true));
        assertEquals(99, invoke(target, "count", true));
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
    @Test
    void theWarmUpRewritesTheClassItMakesIntoOneThatVerifies() {
        byte[] rewritten = MethodPrologue.warmUp();

        assertNotNull(rewritten, "the warm-up's method got a prologue");
        verify(rewritten);
    }

    private static void verify(byte[] classFile) {
        StringWriter report = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(classFile), MethodPrologueTest.class.getClassLoader(), false,
                new PrintWriter(report));
        assertEquals("", report.toString(), "verification failed");
    }
}
