package io.tailguard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * The class the JVM loads first from the agent jar must load and run on Java 8, where the rest of
 * the agent cannot: no Java 8 runtime is at hand, so this reads the compiled class and checks its
 * class file version, that it has no {@code invokedynamic} (lambdas, string concatenation), and
 * that every class, method and field it refers to is one that Java 8 has.
 */
class Java8EntryClassTest {

    private static final String SELF = "io/tailguard/agent/TailguardAgent";

    /** Every JDK type the entry class may name; each exists in Java 8. */
    private static final Set<String> JAVA8_TYPES = Set.of(
            "java/lang/Object", "java/lang/String", "java/lang/StringBuilder", "java/lang/Class",
            "java/lang/System", "java/lang/Integer", "java/lang/Throwable", "java/lang/ClassLoader",
            "java/lang/ClassNotFoundException", "java/lang/NumberFormatException", "java/io/PrintStream",
            "java/lang/instrument/Instrumentation", "java/lang/reflect/Method",
            "java/lang/reflect/InvocationTargetException",
            // Compiled with this class for Java 8 (checked below), and used only on a supported Java.
            "io/tailguard/agent/AgentClassLoader");

    /** Every JDK method and field the entry class may use, with its descriptor; each is Java 8 API. */
    private static final Set<String> JAVA8_MEMBERS = Set.of(
            "java/lang/Object.<init>()V",
            "java/lang/System.err Ljava/io/PrintStream;",
            "java/lang/System.getProperty(Ljava/lang/String;)Ljava/lang/String;",
            "java/lang/System.exit(I)V",
            "java/io/PrintStream.println(Ljava/lang/String;)V",
            "java/lang/Class.forName(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;",
            "java/lang/Class.getClassLoader()Ljava/lang/ClassLoader;",
            "java/lang/Class.getMethod(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;",
            "java/lang/reflect/Method.invoke(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;",
            "java/lang/reflect/InvocationTargetException.getCause()Ljava/lang/Throwable;",
            "java/lang/Throwable.getCause()Ljava/lang/Throwable;",
            "java/lang/Integer.parseInt(Ljava/lang/String;)I",
            "java/lang/String.startsWith(Ljava/lang/String;)Z",
            "java/lang/String.substring(I)Ljava/lang/String;",
            "java/lang/String.substring(II)Ljava/lang/String;",
            "java/lang/String.indexOf(I)I",
            "java/lang/StringBuilder.<init>()V",
            "java/lang/StringBuilder.append(Ljava/lang/String;)Ljava/lang/StringBuilder;",
            "java/lang/StringBuilder.append(I)Ljava/lang/StringBuilder;",
            "java/lang/StringBuilder.append(Ljava/lang/Object;)Ljava/lang/StringBuilder;",
            "java/lang/StringBuilder.toString()Ljava/lang/String;",
            "io/tailguard/agent/AgentClassLoader.forJarOf(Ljava/lang/Class;)Ljava/lang/ClassLoader;");

    @Test
    void theEntryClassIsJava8BytecodeThatUsesOnlyJava8Api() throws Exception {
        byte[] classFile = classFile(SELF);
        ClassReader reader = java8WithoutMethodHandles(classFile);

        Set<String> types = new TreeSet<>();
        Set<String> members = new TreeSet<>();
        List<String> dynamic = new ArrayList<>();
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName,
                    String[] interfaces) {
                types.add(superName);
                for (String type : interfaces) {
                    types.add(type);
                }
            }

            @Override
            public FieldVisitor visitField(int access, String name, String descriptor, String signature,
                    Object value) {
                addDescriptor(types, descriptor);
                return null;
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                addDescriptor(types, descriptor);
                if (exceptions != null) {
                    for (String type : exceptions) {
                        types.add(type);
                    }
                }
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        types.add(owner);
                        addDescriptor(types, desc);
                        if (!owner.equals(SELF)) {
                            members.add(owner + "." + method + desc);
                        }
                    }

                    @Override
                    public void visitFieldInsn(int opcode, String owner, String field, String desc) {
                        types.add(owner);
                        addDescriptor(types, desc);
                        if (!owner.equals(SELF)) {
                            members.add(owner + "." + field + " " + desc);
                        }
                    }

                    @Override
                    public void visitTypeInsn(int opcode, String type) {
                        addDescriptor(types, type.startsWith("[") ? type : "L" + type + ";");
                    }

                    @Override
                    public void visitTryCatchBlock(Label start, Label end, Label handler, String type) {
                        if (type != null) {
                            types.add(type);
                        }
                    }

                    @Override
                    public void visitLdcInsn(Object value) {
                        if (value instanceof Type) {
                            addDescriptor(types, ((Type) value).getDescriptor());
                        }
                    }

                    @Override
                    public void visitInvokeDynamicInsn(String name, String desc, Handle bootstrap, Object... args) {
                        dynamic.add(name + desc);
                    }

                    @Override
                    public void visitLocalVariable(String name, String desc, String signature, Label start,
                            Label end, int index) {
                        addDescriptor(types, desc);
                    }
                };
            }
        }, 0);

        assertEquals(List.of(), dynamic, "invokedynamic");
        types.remove(SELF);
        Set<String> unknownTypes = new TreeSet<>(types);
        unknownTypes.removeAll(JAVA8_TYPES);
        assertEquals(Set.of(), unknownTypes, "types not known to be in Java 8");
        Set<String> unknownMembers = new TreeSet<>(members);
        unknownMembers.removeAll(JAVA8_MEMBERS);
        assertEquals(Set.of(), unknownMembers, "methods and fields not known to be in Java 8");
        assertTrue(members.contains("java/lang/Class.forName(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;"),
                "the walk saw the hand-over: " + members);
    }

    /**
     * The class loader the entry class makes is compiled with it, for Java 8 (the release flag
     * holds it to Java 8 API): the entry class names it, and a Java 8 JVM may load it to verify
     * the entry class.
     */
    @Test
    void theAgentClassLoaderIsJava8BytecodeToo() throws Exception {
        java8WithoutMethodHandles(classFile("io/tailguard/agent/AgentClassLoader"));
    }

    private static byte[] classFile(String name) throws Exception {
        try (InputStream in = Java8EntryClassTest.class.getResourceAsStream("/" + name + ".class")) {
            return in.readAllBytes();
        }
    }

    /** Asserts class file version 52 and no method handle, invokedynamic or module constants. */
    private static ClassReader java8WithoutMethodHandles(byte[] classFile) {
        int major = ((classFile[6] & 0xff) << 8) | (classFile[7] & 0xff);
        assertEquals(52, major, "class file version of Java 8");

        ClassReader reader = new ClassReader(classFile);
        List<String> constantKinds = new ArrayList<>();
        for (int i = 1; i < reader.getItemCount(); i++) {
            int offset = reader.getItem(i);
            if (offset > 0) {
                int tag = classFile[offset - 1];
                // 15 MethodHandle, 16 MethodType, 17 Dynamic, 18 InvokeDynamic, 19 Module, 20 Package
                if (tag >= 15) {
                    constantKinds.add("constant pool tag " + tag);
                }
            }
        }
        assertEquals(List.of(), constantKinds, "no method handles, invokedynamic or module constants");
        return reader;
    }

    @Test
    void readsTheFeatureReleaseFromTheSpecificationVersion() {
        assertEquals(8, TailguardAgent.javaVersion("1.8"));
        assertEquals(7, TailguardAgent.javaVersion("1.7"));
        assertEquals(11, TailguardAgent.javaVersion("11"));
        assertEquals(25, TailguardAgent.javaVersion("25"));
        assertEquals(Integer.MAX_VALUE, TailguardAgent.javaVersion("future"), "unreadable counts as new");
    }

    private static void addDescriptor(Set<String> types, String descriptor) {
        Type type = Type.getType(descriptor);
        if (type.getSort() == Type.METHOD) {
            addDescriptor(types, type.getReturnType().getDescriptor());
            for (Type argument : type.getArgumentTypes()) {
                addDescriptor(types, argument.getDescriptor());
            }
        } else if (type.getSort() == Type.ARRAY) {
            addDescriptor(types, type.getElementType().getDescriptor());
        } else if (type.getSort() == Type.OBJECT) {
            types.add(type.getInternalName());
        }
    }
}
