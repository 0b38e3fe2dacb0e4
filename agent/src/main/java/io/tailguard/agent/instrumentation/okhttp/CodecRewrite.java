package io.tailguard.agent.instrumentation.okhttp;

import static io.tailguard.agent.instrumentation.okhttp.CodecTagging.EXCHANGE;
import static io.tailguard.agent.instrumentation.okhttp.CodecTagging.HTTP1;
import static io.tailguard.agent.instrumentation.okhttp.CodecTagging.HTTP2;

import io.tailguard.agent.instrumentation.MethodRewriting;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** {@link CodecTagging#rewrite}, with ASM: code in the middle of methods, which a prologue cannot be. */
final class CodecRewrite {

    private static final String DISPATCHER = "io/tailguard/bootstrap/Dispatcher";
    private static final String WRITE_HEADERS = "writeRequestHeaders";
    private static final String WRITE_HEADERS_DESCRIPTOR = "(Lokhttp3/Request;)V";
    private static final String WRITE_REQUEST = "writeRequest";
    private static final String WRITE_REQUEST_DESCRIPTOR = "(Lokhttp3/Headers;Ljava/lang/String;)V";
    private static final String HEADER_LIST = "http2HeadersList";
    private static final String HEADER_LIST_DESCRIPTOR = "(Lokhttp3/Request;)Ljava/util/List;";
    private static final String CRLF = "\r\n";
    private static final String SINK = "Lokio/BufferedSink;";

    private CodecRewrite() {
    }

    /** The class with its instructions added, or {@code null} when it is not as expected. */
    static byte[] apply(String className, byte[] classFile) {
        ClassReader reader = new ClassReader(classFile);
        Shape shape = new Shape(className);
        reader.accept(shape, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        if (!shape.fits()) {
            return null;
        }
        return new MethodRewriting() {
            @Override
            protected MethodVisitor rewrite(int access, String name, String descriptor, MethodVisitor next) {
                return shape.rewritten(access, name, descriptor) ? new Rewriting(next, className, shape) : next;
            }
        }.applyTo(reader);
    }

    /** What a class holds of what is rewritten: the method, the call field, the places found in it. */
    private static final class Shape extends ClassVisitor {
        final String className;
        String callDescriptor;
        boolean method;
        /** The header block's CRLF constants, and whether the last one is written at once to the sink just read. */
        int crlfs;
        boolean lastCrlfWritten;
        boolean lastCrlfAfterSink;
        int headerLists;

        Shape(String className) {
            super(Opcodes.ASM9);
            this.className = className;
        }

        boolean rewritten(int access, String name, String descriptor) {
            if ((access & Opcodes.ACC_STATIC) != 0) {
                return false;
            }
            return className.equals(HTTP1) ? name.equals(WRITE_REQUEST) && descriptor.equals(WRITE_REQUEST_DESCRIPTOR)
                    : name.equals(WRITE_HEADERS) && descriptor.equals(WRITE_HEADERS_DESCRIPTOR);
        }

        boolean fits() {
            switch (className) {
                case EXCHANGE:
                    return method && callDescriptor != null;
                case HTTP1:
                    return method && crlfs > 0 && lastCrlfWritten && lastCrlfAfterSink;
                default:
                    return method && headerLists == 1;
            }
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            if (name.equals("call") && descriptor.startsWith("L") && (access & Opcodes.ACC_STATIC) == 0) {
                callDescriptor = descriptor;
            }
            return null;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                String[] exceptions) {
            if (!rewritten(access, name, descriptor)) {
                return null;
            }
            method = true;
            return new MethodVisitor(Opcodes.ASM9) {
                private boolean afterCrlf;
                private boolean afterSink;

                @Override
                public void visitLdcInsn(Object value) {
                    afterCrlf = CRLF.equals(value);
                    if (afterCrlf) {
                        crlfs++;
                        lastCrlfWritten = false;
                        lastCrlfAfterSink = afterSink;
                    }
                    afterSink = false;
                }

                @Override
                public void visitMethodInsn(int opcode, String owner, String name, String desc, boolean itf) {
                    if (afterCrlf && name.equals("writeUtf8")) {
                        lastCrlfWritten = true;
                    }
                    afterCrlf = false;
                    afterSink = desc.endsWith(")" + SINK);
                    if (isHeaderList(name, desc)) {
                        headerLists++;
                    }
                }

                @Override
                public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
                    afterCrlf = false;
                    afterSink = opcode == Opcodes.GETFIELD && descriptor.equals(SINK);
                }

                @Override
                public void visitInsn(int opcode) {
                    other();
                }

                @Override
                public void visitVarInsn(int opcode, int var) {
                    other();
                }

                @Override
                public void visitTypeInsn(int opcode, String type) {
                    other();
                }

                @Override
                public void visitJumpInsn(int opcode, Label label) {
                    other();
                }

                @Override
                public void visitLabel(Label label) {
                    other();
                }

                private void other() {
                    afterCrlf = false;
                    afterSink = false;
                }
            };
        }
    }

    private static boolean isHeaderList(String name, String descriptor) {
        return name.equals(HEADER_LIST) && descriptor.equals(HEADER_LIST_DESCRIPTOR);
    }

    /** The rewritten method: the dispatcher's call added where {@link Shape} found its place. */
    private static final class Rewriting extends MethodVisitor {
        private final String className;
        private final Shape shape;
        private int crlfs;

        Rewriting(MethodVisitor next, String className, Shape shape) {
            super(Opcodes.ASM9, next);
            this.className = className;
            this.shape = shape;
        }

        @Override
        public void visitCode() {
            super.visitCode();
            if (className.equals(EXCHANGE)) {
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitFieldInsn(Opcodes.GETFIELD, EXCHANGE, "call", shape.callDescriptor);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, "codecExchange", "(Ljava/lang/Object;)V",
                        false);
            }
        }

        @Override
        public void visitLdcInsn(Object value) {
            if (className.equals(HTTP1) && CRLF.equals(value) && ++crlfs == shape.crlfs) {
                // The block's last line is next, and the sink it is written to on the stack.
                super.visitInsn(Opcodes.DUP);
                super.visitVarInsn(Opcodes.ALOAD, 1);
                super.visitVarInsn(Opcodes.ALOAD, 2);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, "codecHeaderLines",
                        "(Ljava/lang/Object;Ljava/lang/Object;Ljava/lang/String;)V", false);
            }
            super.visitLdcInsn(value);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean itf) {
            super.visitMethodInsn(opcode, owner, name, descriptor, itf);
            if (className.equals(HTTP2) && isHeaderList(name, descriptor)) {
                super.visitInsn(Opcodes.DUP);
                super.visitVarInsn(Opcodes.ALOAD, 1);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, "codecHeaderList",
                        "(Ljava/lang/Object;Ljava/lang/Object;)V", false);
            }
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            super.visitMaxs(maxStack + 3, maxLocals);
        }
    }
}
