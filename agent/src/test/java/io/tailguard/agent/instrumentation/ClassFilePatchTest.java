package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.reflect.Method;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Code put in the middle of a method ({@link ClassFilePatch#insert}): the patched class is defined
 * and run, so the JVM's own verifier checks the moved jumps and frames and the stack the added code
 * uses, and the results show which paths run the added call.
 */
class ClassFilePatchTest {

    private static final int ICONST_1 = 0x04;
    private static final int DUP = 0x59;
    private static final int IADD = 0x60;
    private static final int IINC = 0x84;
    private static final int IRETURN = 0xac;
    private static final int INVOKESTATIC = 0xb8;

    @BeforeEach
    void resetMarks() {
        Marks.count = 0;
        Marks.seenSum = 0;
    }

    @Test
    void aJumpAcrossTheAddedCodeStillLandsWhereItDid() throws Exception {
        ClassFilePatch patch = ClassFilePatch.of(classFile(Sample.class));
        ClassFilePatch.Member sign = patch.method("sign", "(I)I");
        int elseBranch = first(patch, sign, ICONST_1);

        assertTrue(patch.insert(sign, elseBranch, markCall(patch), 0));
        Method patched = load(patch.toBytes()).getMethod("sign", int.class);

        // The then-branch jumps over the else-branch, and so over the added call.
        assertEquals(-10, patched.invoke(null, -5));
        assertEquals(0, Marks.count);
        assertEquals(10, patched.invoke(null, 5));
        assertEquals(1, Marks.count);
    }

    @Test
    void aJumpToWhereTheCodeGoesRunsItFirst() throws Exception {
        ClassFilePatch patch = ClassFilePatch.of(classFile(Sample.class));
        ClassFilePatch.Member sum = patch.method("sum", "(I)I");
        int[] code = patch.instructions(sum);
        assertEquals(IRETURN, patch.opcode(sum, code[code.length - 1]));
        int loopExit = code[code.length - 2];

        assertTrue(patch.insert(sum, loopExit, markCall(patch), 0));
        Method patched = load(patch.toBytes()).getMethod("sum", int.class);

        assertEquals(6, patched.invoke(null, 4));
        assertEquals(1, Marks.count);
        assertEquals(0, patched.invoke(null, 0));
        assertEquals(2, Marks.count);
    }

    @Test
    void codeInTheMiddleOfAStatementUsesTheValueOnTheStack() throws Exception {
        ClassFilePatch patch = ClassFilePatch.of(classFile(Sample.class));
        ClassFilePatch.Member sum = patch.method("sum", "(I)I");
        // sum += i: iload_1, iload_2, iadd; no frame there, and i on top of the stack.
        int added = first(patch, sum, IADD);
        byte[] seen = new ClassFilePatch.Bytes().u1(DUP).u1(INVOKESTATIC)
                .u2(patch.methodRef(Marks.class.getName().replace('.', '/'), "seen", "(I)V")).toArray();

        assertTrue(patch.insert(sum, added, seen, 1));
        Method patched = load(patch.toBytes()).getMethod("sum", int.class);

        assertEquals(6, patched.invoke(null, 4));
        assertEquals(4, Marks.count);
        assertEquals(0 + 1 + 2 + 3, Marks.seenSum);
    }

    @Test
    void codeGoesOnlyAtAnInstruction() throws Exception {
        ClassFilePatch patch = ClassFilePatch.of(classFile(Sample.class));
        ClassFilePatch.Member sum = patch.method("sum", "(I)I");
        int increment = first(patch, sum, IINC);

        assertFalse(patch.insert(sum, increment + 1, markCall(patch), 0));
        assertFalse(patch.insert(sum, -1, markCall(patch), 0));
    }

    @Test
    void theConstantsAndMembersAnInstructionUsesAreRead() throws Exception {
        ClassFilePatch patch = ClassFilePatch.of(classFile(Sample.class));
        ClassFilePatch.Member greeting = patch.method("greeting", "()Ljava/lang/String;");
        int[] code = patch.instructions(greeting);

        assertArrayEquals(new String[] {"mark", "()V"}, patch.memberUsed(greeting, code[0]));
        assertEquals("hello\r\n", patch.loadedString(greeting, code[1]));
        assertNull(patch.loadedString(greeting, code[0]));
        assertNull(patch.memberUsed(greeting, code[1]));
    }

    @Test
    void theCallsOfAMethodAreFoundByTheirMember() throws Exception {
        ClassFilePatch patch = ClassFilePatch.of(classFile(Sample.class));
        ClassFilePatch.Member marked = patch.method("marked", "()I");
        int[] code = patch.instructions(marked);

        assertNotNull(code);
        assertEquals(INVOKESTATIC, patch.opcode(marked, code[0]));
        assertTrue(patch.invokes(marked, code[0], Marks.class.getName().replace('.', '/'), "mark", "()V"));
        assertFalse(patch.invokes(marked, code[0], Marks.class.getName().replace('.', '/'), "mark", "()I"));
    }

    private static byte[] markCall(ClassFilePatch patch) {
        return new ClassFilePatch.Bytes().u1(INVOKESTATIC)
                .u2(patch.methodRef(Marks.class.getName().replace('.', '/'), "mark", "()V")).toArray();
    }

    private static int first(ClassFilePatch patch, ClassFilePatch.Member method, int opcode) {
        for (int pc : patch.instructions(method)) {
            if (patch.opcode(method, pc) == opcode) {
                return pc;
            }
        }
        throw new AssertionError("no instruction " + opcode);
    }

    private static byte[] classFile(Class<?> type) throws Exception {
        try (InputStream in = type.getResourceAsStream("/" + type.getName().replace('.', '/') + ".class")) {
            return in.readAllBytes();
        }
    }

    /** The patched sample in a class loader of its own; {@link Marks} is the test's. */
    private static Class<?> load(byte[] sample) throws Exception {
        return DefinedApart.define(Sample.class.getName(), sample);
    }

    /** Compiled by javac: the jumps and frames the tests put code among. */
    public static final class Sample {
        private Sample() {
        }

        public static int sign(int n) {
            int sign;
            if (n < 0) {
                sign = -1;
            } else {
                sign = 1;
            }
            return sign * 10;
        }

        public static int sum(int n) {
            int sum = 0;
            for (int i = 0; i < n; i++) {
                sum += i;
            }
            return sum;
        }

        public static int marked() {
            Marks.mark();
            return 0;
        }

        public static String greeting() {
            Marks.mark();
            return "hello\r\n";
        }
    }

    /** What the added code calls. */
    public static final class Marks {
        static int count;

        private Marks() {
        }

        static int seenSum;

        public static void mark() {
            count++;
        }

        public static void seen(int value) {
            count++;
            seenSum += value;
        }
    }
}
