package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.agent.instrumentation.MethodRewriting;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** {@link HeaderLines#rewrite}, with ASM: code in the middle of a method, which a prologue cannot be. */
final class MessageHeaderRewrite {

    private static final String PRINT_DESCRIPTOR = "(I[Ljava/lang/String;[Ljava/lang/String;Ljava/io/PrintStream;)V";

    private MessageHeaderRewrite() {
    }

    /**
     * The header class with {@code Dispatcher.printWireTags(out, keys)} called in its static
     * {@code print} just before the block's last line: {@code null} unless that method makes
     * exactly one {@code PrintStream.print(String)} call, that line's.
     */
    static byte[] apply(byte[] classFile) {
        ClassReader reader = new ClassReader(classFile);
        int[] lastLines = new int[1];
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                if (!isPrint(access, name, descriptor)) {
                    return null;
                }
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        if (isLastLine(opcode, owner, method, desc)) {
                            lastLines[0]++;
                        }
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        if (lastLines[0] != 1) {
            return null;
        }
        return new MethodRewriting() {
            @Override
            protected MethodVisitor rewrite(int access, String name, String descriptor, MethodVisitor next) {
                if (!isPrint(access, name, descriptor)) {
                    return next;
                }
                return new MethodVisitor(Opcodes.ASM9, next) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        if (isLastLine(opcode, owner, method, desc)) {
                            // The stack holds the stream and the line; both stay.
                            super.visitVarInsn(Opcodes.ALOAD, 3);
                            super.visitVarInsn(Opcodes.ALOAD, 1);
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, "io/tailguard/bootstrap/Dispatcher",
                                    "printWireTags", "(Ljava/lang/Object;[Ljava/lang/Object;)V", false);
                        }
                        super.visitMethodInsn(opcode, owner, method, desc, itf);
                    }

                    @Override
                    public void visitMaxs(int maxStack, int maxLocals) {
                        super.visitMaxs(maxStack + 2, maxLocals);
                    }
                };
            }
        }.applyTo(reader);
    }

    private static boolean isPrint(int access, String name, String descriptor) {
        return name.equals("print") && descriptor.equals(PRINT_DESCRIPTOR) && (access & Opcodes.ACC_STATIC) != 0;
    }

    private static boolean isLastLine(int opcode, String owner, String method, String descriptor) {
        return opcode == Opcodes.INVOKEVIRTUAL && owner.equals("java/io/PrintStream") && method.equals("print")
                && descriptor.equals("(Ljava/lang/String;)V");
    }
}
