package io.tailguard.agent.instrumentation;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * A class file with the code of some of its methods rewritten and everything else copied as it is
 * (its constant pool kept, its frames carried over): what the tag writing's transformers share.
 * The instructions they add leave the stack as they find it at every branch target, so no frame
 * has to be computed again.
 */
public abstract class MethodRewriting {

    /**
     * The visitor that rewrites this method's code on its way to {@code next}, or {@code next} itself
     * to copy the method as it is.
     */
    protected abstract MethodVisitor rewrite(int access, String name, String descriptor, MethodVisitor next);

    /** The class read by {@code reader}, rewritten. */
    public final byte[] applyTo(ClassReader reader) {
        ClassWriter writer = new ClassWriter(reader, 0);
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                return rewrite(access, name, descriptor,
                        super.visitMethod(access, name, descriptor, signature, exceptions));
            }
        }, ClassReader.EXPAND_FRAMES);
        return writer.toByteArray();
    }
}
