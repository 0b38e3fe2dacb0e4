package io.tailguard.agent.instrumentation;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Adds one prologue to each hooked method, the bytecode equivalent of
 * <pre>
 *   Object decision = Dispatcher.enter(slot, this, new Object[] {arg0, arg1, ...});
 *   if (decision != Dispatcher.PROCEED) {
 *       return (ReturnType) Dispatcher.complete(decision);   // or throws the outcome's failure
 *   }
 *   ... the method as written ...
 * </pre>
 * Only method bodies change (no fields, no methods, no new constant types beyond references), so
 * the result can be retransformed and coexists with other agents' advice.
 *
 * <p>The prologue is written into the class file's bytes ({@link ClassFilePatch}), without ASM,
 * which would load and link some ninety classes on the application's thread as its first hooked
 * class loads. A class that refers to the dispatcher already (another copy of the agent gave it
 * prologues: a second one would send each of the agent's own attempts into the agent again), or
 * whose hooked method's code the patch does not move, is rewritten with ASM instead ({@link
 * AsmPrologue}), to the same bytecode.
 *
 * <p>Why not Byte Buddy's {@code Advice}: measured on a 2-core machine, its first transformation
 * loads ~1,200 classes and took ~460 ms, on the application's critical path at the first use of a
 * client; this prologue, written with ASM (which Byte Buddy itself is built on), took ~20 ms, and
 * written into the bytes, well under one.
 */
public final class MethodPrologue {

    static final String DISPATCHER = "io/tailguard/bootstrap/Dispatcher";
    private static final String ENTER_DESCRIPTOR = "(ILjava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;";
    private static final String COMPLETE_DESCRIPTOR = "(Ljava/lang/Object;)Ljava/lang/Object;";
    private static final int ABSTRACT_OR_NATIVE = 0x0400 | 0x0100;
    private static final int STATIC = 0x0008;
    /** What the class-file patch cannot do: ASM does it. */
    static final byte[] BY_ASM = new byte[0];

    /** Opcodes (JVMS chapter 6). */
    private static final int ACONST_NULL = 0x01;
    private static final int ICONST_0 = 0x03;
    private static final int BIPUSH = 0x10;
    private static final int SIPUSH = 0x11;
    private static final int ILOAD = 0x15;
    private static final int ALOAD_0 = 0x2a;
    private static final int AASTORE = 0x53;
    private static final int POP = 0x57;
    private static final int DUP = 0x59;
    private static final int IF_ACMPEQ = 0xa5;
    private static final int IRETURN = 0xac;
    private static final int ARETURN = 0xb0;
    private static final int RETURN = 0xb1;
    private static final int GETSTATIC = 0xb2;
    private static final int INVOKEVIRTUAL = 0xb6;
    private static final int INVOKESTATIC = 0xb8;
    private static final int ANEWARRAY = 0xbd;
    private static final int CHECKCAST = 0xc0;

    private MethodPrologue() {
    }

    /**
     * @return the transformed class, or {@code null} when no hooked method was found in it, or
     *     every hooked method has a prologue already
     */
    public static byte[] apply(byte[] classFile, List<Hook> hooks) {
        byte[] patched;
        try {
            patched = patch(classFile, hooks);
        } catch (RuntimeException unusual) {
            patched = BY_ASM;
        }
        return patched == BY_ASM ? AsmPrologue.apply(classFile, hooks) : patched;
    }

    /** The class with its prologues written into its bytes; {@link #BY_ASM} where that is not done. */
    static byte[] patch(byte[] classFile, List<Hook> hooks) {
        ClassFilePatch patch = ClassFilePatch.of(classFile);
        if (patch.refersTo(DISPATCHER)) {
            return BY_ASM;
        }
        Set<String> done = new HashSet<>();
        Constants constants = null;
        for (Hook hook : hooks) {
            ClassFilePatch.Member method = patch.method(hook.method(), hook.descriptor());
            if (method == null || (method.access() & ABSTRACT_OR_NATIVE) != 0 || hook.method().startsWith("<")
                    || !done.add(hook.method() + hook.descriptor())) {
                continue;
            }
            if (constants == null) {
                constants = new Constants(patch);
            }
            byte[] code = code(patch, constants, (method.access() & STATIC) != 0, hook.descriptor(), hook.slot());
            if (code == null || !patch.prepend(method, code, 7, constants.object)) {
                return BY_ASM;
            }
        }
        return done.isEmpty() ? null : patch.toBytes();
    }

    /** The constants every prologue of a class uses. */
    private static final class Constants {
        final int object;
        final int enter;
        final int proceed;
        final int complete;

        Constants(ClassFilePatch patch) {
            object = patch.classRef("java/lang/Object");
            enter = patch.methodRef(DISPATCHER, "enter", ENTER_DESCRIPTOR);
            proceed = patch.fieldRef(DISPATCHER, "PROCEED", "Ljava/lang/Object;");
            complete = patch.methodRef(DISPATCHER, "complete", COMPLETE_DESCRIPTOR);
        }
    }

    /**
     * The prologue's bytecode, aligned ({@link ClassFilePatch#aligned}), its jump to its last
     * byte (the {@code pop} of the decision before the method as written); {@code null} for an
     * argument beyond local 255.
     */
    private static byte[] code(ClassFilePatch patch, Constants constants, boolean isStatic, String descriptor,
            int slot) {
        List<String> arguments = new ArrayList<>();
        String returned = ClassFilePatch.parseDescriptor(descriptor, arguments);
        ClassFilePatch.Bytes code = new ClassFilePatch.Bytes();
        push(code, slot);
        code.u1(isStatic ? ACONST_NULL : ALOAD_0);
        if (arguments.isEmpty()) {
            code.u1(ACONST_NULL);
        } else {
            push(code, arguments.size());
            code.u1(ANEWARRAY).u2(constants.object);
            int local = isStatic ? 0 : 1;
            for (int i = 0; i < arguments.size(); i++) {
                String argument = arguments.get(i);
                char sort = argument.charAt(0);
                if (local > 255) {
                    return null;
                }
                code.u1(DUP);
                push(code, i);
                code.u1(ILOAD + typeOffset(sort)).u1(local);
                if (sort != 'L' && sort != '[') {
                    String boxed = boxed(sort);
                    code.u1(INVOKESTATIC).u2(patch.methodRef(boxed, "valueOf", "(" + sort + ")L" + boxed + ";"));
                }
                code.u1(AASTORE);
                local += sort == 'J' || sort == 'D' ? 2 : 1;
            }
        }
        code.u1(INVOKESTATIC).u2(constants.enter);
        code.u1(DUP);
        code.u1(GETSTATIC).u2(constants.proceed);
        int jump = code.size();
        code.u1(IF_ACMPEQ).u2(0);
        code.u1(INVOKESTATIC).u2(constants.complete);
        char sort = returned.charAt(0);
        if (sort == 'V') {
            code.u1(POP).u1(RETURN);
        } else if (sort == 'L' || sort == '[') {
            String type = sort == 'L' ? returned.substring(1, returned.length() - 1) : returned;
            code.u1(CHECKCAST).u2(patch.classRef(type)).u1(ARETURN);
        } else {
            String boxed = boxed(sort);
            code.u1(CHECKCAST).u2(patch.classRef(boxed));
            code.u1(INVOKEVIRTUAL).u2(patch.methodRef(boxed, primitiveName(sort) + "Value", "()" + sort));
            code.u1(IRETURN + typeOffset(sort));
        }
        int proceed = code.size();
        code.u1(POP);
        code.setU2(jump + 1, proceed - jump);
        return ClassFilePatch.aligned(code);
    }

    private static void push(ClassFilePatch.Bytes code, int value) {
        if (value <= 5) {
            code.u1(ICONST_0 + value);
        } else if (value <= Byte.MAX_VALUE) {
            code.u1(BIPUSH).u1(value);
        } else {
            code.u1(SIPUSH).u2(value);
        }
    }

    /**
     * The distance from the {@code int} form of a load or return instruction to this type's:
     * {@code iload}, {@code lload}, {@code fload}, {@code dload}, {@code aload} follow one another,
     * as do the five returns.
     */
    private static int typeOffset(char sort) {
        switch (sort) {
            case 'J':
                return 1;
            case 'F':
                return 2;
            case 'D':
                return 3;
            case 'L':
            case '[':
                return 4;
            default:
                return 0;
        }
    }

    /** The wrapper class of a primitive type ({@code Z}, {@code I}, ...), as the pool names it; also {@link AsmPrologue}'s. */
    static String boxed(char sort) {
        switch (sort) {
            case 'Z':
                return "java/lang/Boolean";
            case 'B':
                return "java/lang/Byte";
            case 'C':
                return "java/lang/Character";
            case 'S':
                return "java/lang/Short";
            case 'I':
                return "java/lang/Integer";
            case 'F':
                return "java/lang/Float";
            case 'J':
                return "java/lang/Long";
            default:
                return "java/lang/Double";
        }
    }

    private static String primitiveName(char sort) {
        switch (sort) {
            case 'Z':
                return "boolean";
            case 'B':
                return "byte";
            case 'C':
                return "char";
            case 'S':
                return "short";
            case 'I':
                return "int";
            case 'F':
                return "float";
            case 'J':
                return "long";
            default:
                return "double";
        }
    }
}
