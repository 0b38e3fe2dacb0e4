package io.tailguard.agent.instrumentation;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * {@link MethodPrologue}'s prologue written with ASM, for the classes its byte-level patch leaves
 * to it: one an agent gave prologues already (another copy of Tailguard), or whose hooked method's
 * code carries what the patch does not move. The same bytecode, the equivalent of
 * <pre>
 *   Object decision = Dispatcher.enter(slot, this, new Object[] {arg0, arg1, ...});
 *   if (decision != Dispatcher.PROCEED) {
 *       return (ReturnType) Dispatcher.complete(decision);   // or throws the outcome's failure
 *   }
 *   ... the method as written ...
 * </pre>
 */
final class AsmPrologue {

    private static final String DISPATCHER = MethodPrologue.DISPATCHER;
    private static final String ENTER_DESCRIPTOR = "(ILjava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;";
    /** The tag of a {@code CONSTANT_Class} entry in the constant pool (JVMS 4.4.1). */
    private static final int CONSTANT_CLASS = 7;
    private static final String COMPLETE_DESCRIPTOR = "(Ljava/lang/Object;)Ljava/lang/Object;";

    private AsmPrologue() {
    }

    /**
     * @return the transformed class, or {@code null} when no hooked method was found in it, or
     *     every hooked method has a prologue already
     */
    static byte[] apply(byte[] classFile, List<Hook> hooks) {
        ClassReader reader = new ClassReader(classFile);
        Set<String> prologued = methodsCallingDispatcher(reader);
        // Given the reader, the writer starts from its constant pool and copies every method the
        // visitor below leaves alone as it is, without parsing its code: only hooked methods are
        // read instruction by instruction (a large class such as the JDK client's is rewritten in
        // a fraction of the time, on the application's critical path).
        ClassWriter writer = new ClassWriter(reader, 0);
        int[] applied = new int[1];
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
                if ((access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0 || name.startsWith("<")) {
                    return next;
                }
                for (Hook hook : hooks) {
                    if (hook.method().equals(name) && hook.descriptor().equals(descriptor)
                            && !prologued.contains(name + descriptor)) {
                        applied[0]++;
                        return new Prologue(next, reader.getClassName(), access, descriptor, hook.slot());
                    }
                }
                return next;
            }
        }, ClassReader.EXPAND_FRAMES);
        return applied[0] == 0 ? null : writer.toByteArray();
    }

    /**
     * The methods (name and descriptor) that already call {@code Dispatcher.enter}. A method gets one
     * prologue however often it is transformed: a second one would send each of the agent's own
     * attempts into the agent again. The JVM hands a retransformation the class without this
     * transformer's earlier work, but another transformer (a second copy of the agent, or any agent
     * that caches transformed bytes) may hand it on.
     */
    private static Set<String> methodsCallingDispatcher(ClassReader reader) {
        Set<String> found = new HashSet<>();
        if (!refersToDispatcher(reader)) {
            return found;
        }
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                String method = name + descriptor;
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String called, String calledDescriptor,
                            boolean isInterface) {
                        if (owner.equals(DISPATCHER) && called.equals("enter")) {
                            found.add(method);
                        }
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return found;
    }

    /**
     * Whether the constant pool names the dispatcher class: a class that calls it must. A class
     * no agent touched yet (nearly always) is then not parsed a second time.
     */
    private static boolean refersToDispatcher(ClassReader reader) {
        char[] buffer = new char[reader.getMaxStringLength()];
        for (int item = 1; item < reader.getItemCount(); item++) {
            int offset = reader.getItem(item);
            if (offset > 0 && reader.readByte(offset - 1) == CONSTANT_CLASS
                    && DISPATCHER.equals(reader.readUTF8(offset, buffer))) {
                return true;
            }
        }
        return false;
    }

    private static final class Prologue extends MethodVisitor {
        private final String owner;
        private final boolean isStatic;
        private final Type[] arguments;
        private final Type returnType;
        private final int slot;

        Prologue(MethodVisitor next, String owner, int access, String descriptor, int slot) {
            super(Opcodes.ASM9, next);
            this.owner = owner;
            this.isStatic = (access & Opcodes.ACC_STATIC) != 0;
            this.arguments = Type.getArgumentTypes(descriptor);
            this.returnType = Type.getReturnType(descriptor);
            this.slot = slot;
        }

        @Override
        public void visitCode() {
            super.visitCode();
            push(slot);
            if (isStatic) {
                super.visitInsn(Opcodes.ACONST_NULL);
            } else {
                super.visitVarInsn(Opcodes.ALOAD, 0);
            }
            if (arguments.length == 0) {
                super.visitInsn(Opcodes.ACONST_NULL);
            } else {
                push(arguments.length);
                super.visitTypeInsn(Opcodes.ANEWARRAY, "java/lang/Object");
                int local = isStatic ? 0 : 1;
                for (int i = 0; i < arguments.length; i++) {
                    super.visitInsn(Opcodes.DUP);
                    push(i);
                    super.visitVarInsn(arguments[i].getOpcode(Opcodes.ILOAD), local);
                    box(arguments[i]);
                    super.visitInsn(Opcodes.AASTORE);
                    local += arguments[i].getSize();
                }
            }
            super.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, "enter", ENTER_DESCRIPTOR, false);
            super.visitInsn(Opcodes.DUP);
            super.visitFieldInsn(Opcodes.GETSTATIC, DISPATCHER, "PROCEED", "Ljava/lang/Object;");
            Label proceed = new Label();
            super.visitJumpInsn(Opcodes.IF_ACMPEQ, proceed);
            super.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, "complete", COMPLETE_DESCRIPTOR, false);
            returnValue();
            super.visitLabel(proceed);
            super.visitFrame(Opcodes.F_NEW, frameLocals().length, frameLocals(), 1, new Object[] {"java/lang/Object"});
            super.visitInsn(Opcodes.POP);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            // slot, this, array, array copy, index, and a long or double argument: 7 words.
            super.visitMaxs(Math.max(maxStack, 7), maxLocals);
        }

        private Object[] frameLocals() {
            Object[] locals = new Object[arguments.length + (isStatic ? 0 : 1)];
            int i = 0;
            if (!isStatic) {
                locals[i++] = owner;
            }
            for (Type argument : arguments) {
                locals[i++] = frameType(argument);
            }
            return locals;
        }

        private static Object frameType(Type type) {
            switch (type.getSort()) {
                case Type.BOOLEAN:
                case Type.BYTE:
                case Type.CHAR:
                case Type.SHORT:
                case Type.INT:
                    return Opcodes.INTEGER;
                case Type.FLOAT:
                    return Opcodes.FLOAT;
                case Type.LONG:
                    return Opcodes.LONG;
                case Type.DOUBLE:
                    return Opcodes.DOUBLE;
                default:
                    return type.getInternalName();
            }
        }

        private void returnValue() {
            switch (returnType.getSort()) {
                case Type.VOID:
                    super.visitInsn(Opcodes.POP);
                    super.visitInsn(Opcodes.RETURN);
                    return;
                case Type.OBJECT:
                case Type.ARRAY:
                    super.visitTypeInsn(Opcodes.CHECKCAST, returnType.getInternalName());
                    super.visitInsn(Opcodes.ARETURN);
                    return;
                default:
                    Type boxed = boxedType(returnType);
                    super.visitTypeInsn(Opcodes.CHECKCAST, boxed.getInternalName());
                    super.visitMethodInsn(Opcodes.INVOKEVIRTUAL, boxed.getInternalName(),
                            returnType.getClassName() + "Value", "()" + returnType.getDescriptor(), false);
                    super.visitInsn(returnType.getOpcode(Opcodes.IRETURN));
            }
        }

        private void box(Type type) {
            if (type.getSort() == Type.OBJECT || type.getSort() == Type.ARRAY) {
                return;
            }
            Type boxed = boxedType(type);
            super.visitMethodInsn(Opcodes.INVOKESTATIC, boxed.getInternalName(), "valueOf",
                    "(" + type.getDescriptor() + ")" + boxed.getDescriptor(), false);
        }

        private static Type boxedType(Type primitive) {
            return Type.getObjectType(MethodPrologue.boxed(primitive.getDescriptor().charAt(0)));
        }

        private void push(int value) {
            if (value <= 5) {
                super.visitInsn(Opcodes.ICONST_0 + value);
            } else {
                super.visitIntInsn(Opcodes.BIPUSH, value);
            }
        }
    }
}
