package io.tailguard.agent.instrumentation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A class file changed in place, at the level of its bytes (JVMS chapter 4): constants appended to
 * its pool, a field added, and code put before the first instruction of some methods, or before an
 * instruction in the middle of one. Everything else is copied as it is, the pool's entries keeping
 * their indices, so nothing else needs reading.
 *
 * <p>What the agent adds at startup is only that, and this does it without ASM: a rewrite with ASM
 * loads and links some ninety classes and copies the class's whole pool through them, on the
 * application's thread, as the first hooked class loads. A small application's first response
 * came 19 ms [13–25] sooner with this than with ASM (480 rounds, {@code benchmarks/run
 * startup-target --baseline-agent}). ASM stays for what this does not do (see {@link #prepend}
 * and {@link #insert}), off that path.
 *
 * <p>Code added first in a method moves the original code by a multiple of four bytes, so its
 * {@code tableswitch} and {@code lookupswitch} padding stays right and every jump inside it stays
 * relative. Code added in the middle moves what follows it, and the jumps across it are
 * lengthened ({@link #insert} decodes every instruction for that). What holds an offset into the
 * code is moved with it: the exception table, the line and local variable tables and the stack map
 * frames. Added code that jumps carries one frame of its own, just before the original code, with
 * the method's entry locals.
 */
public final class ClassFilePatch {

    /** Constant pool tags (JVMS 4.4). */
    private static final int UTF8 = 1;
    private static final int CLASS = 7;
    private static final int STRING = 8;
    private static final int FIELD_REF = 9;
    private static final int METHOD_REF = 10;
    private static final int NAME_AND_TYPE = 12;

    /** The {@code verification_type_info} tag of a value a {@code new} made, not yet constructed (JVMS 4.7.4). */
    private static final int UNINITIALIZED = 8;

    /** The first class file version whose methods carry stack map frames (Java 6). */
    private static final int FRAMES_VERSION = 50;

    private final byte[] in;
    /** Offset of each pool entry's tag, by index (0 and the second slot of a long or double: 0). */
    private final int[] entries;
    private final int poolEnd;
    private final int fieldsStart;
    private final int methodsStart;
    private final Bytes pool = new Bytes();
    private int poolCount;
    /** The classes this patch added to the pool, by name: one entry each. */
    private final Map<String, Integer> classes = new HashMap<>();
    private final Bytes fields = new Bytes();
    private int addedFields;
    /** The methods' code attributes replaced, by where they start in {@link #in}, in the file's order. */
    private final TreeMap<Integer, Replaced> replaced = new TreeMap<>();

    private ClassFilePatch(byte[] in) {
        this.in = in;
        if (u4(0) != 0xCAFEBABE) {
            throw new IllegalArgumentException("not a class file");
        }
        poolCount = u2(8);
        entries = new int[poolCount];
        int offset = 10;
        for (int index = 1; index < poolCount; index++) {
            entries[index] = offset;
            int tag = in[offset] & 0xFF;
            switch (tag) {
                case UTF8:
                    offset += 3 + u2(offset + 1);
                    break;
                case 3: // Integer
                case 4: // Float
                case FIELD_REF:
                case METHOD_REF:
                case 11: // InterfaceMethodref
                case NAME_AND_TYPE:
                case 17: // Dynamic
                case 18: // InvokeDynamic
                    offset += 5;
                    break;
                case 5: // Long
                case 6: // Double
                    offset += 9;
                    index++;
                    break;
                case CLASS:
                case STRING:
                case 16: // MethodType
                case 19: // Module
                case 20: // Package
                    offset += 3;
                    break;
                case 15: // MethodHandle
                    offset += 4;
                    break;
                default:
                    throw new IllegalArgumentException("unknown constant pool tag " + tag + " at " + offset);
            }
        }
        poolEnd = offset;
        offset += 6;
        offset += 2 + 2 * u2(offset);
        fieldsStart = offset;
        methodsStart = skipMembers(fieldsStart);
    }

    /** The class file to patch; throws {@link IllegalArgumentException} if it is not one. */
    public static ClassFilePatch of(byte[] classFile) {
        return new ClassFilePatch(classFile);
    }

    public int majorVersion() {
        return u2(6);
    }

    /** The pool index of the class's own {@code CONSTANT_Class}. */
    public int thisClass() {
        return u2(poolEnd + 2);
    }

    /** Whether the pool names this class: any class whose code refers to it must. */
    public boolean refersTo(String internalName) {
        for (int index = 1; index < entries.length; index++) {
            int offset = entries[index];
            if (offset != 0 && in[offset] == CLASS && utf8Is(u2(offset + 1), internalName)) {
                return true;
            }
        }
        return false;
    }

    /** A method or field the class declares, or {@code null}: {@code descriptor} {@code null} for any. */
    public Member method(String name, String descriptor) {
        return find(methodsStart, name, descriptor);
    }

    public Member field(String name, String descriptor) {
        return find(fieldsStart, name, descriptor);
    }

    /** Every method of this name, any descriptor, constructors included ({@code <init>}). */
    public List<Member> methods(String name) {
        List<Member> found = new ArrayList<>();
        int count = u2(methodsStart);
        int offset = methodsStart + 2;
        for (int i = 0; i < count; i++) {
            if (utf8Is(u2(offset + 2), name)) {
                found.add(new Member(offset));
            }
            offset = skipAttributes(offset + 6);
        }
        return found;
    }

    /** A new {@code CONSTANT_Utf8}; its pool index. */
    public int utf8(String value) {
        byte[] bytes = modifiedUtf8(value);
        pool.u1(UTF8).u2(bytes.length).bytes(bytes, 0, bytes.length);
        return poolCount++;
    }

    /** A {@code CONSTANT_Class}, added once per patch. */
    public int classRef(String internalName) {
        Integer added = classes.get(internalName);
        if (added != null) {
            return added;
        }
        int name = utf8(internalName);
        pool.u1(CLASS).u2(name);
        classes.put(internalName, poolCount);
        return poolCount++;
    }

    public int fieldRef(String owner, String name, String descriptor) {
        return memberRef(FIELD_REF, classRef(owner), name, descriptor);
    }

    /** A field of the class itself. */
    public int ownFieldRef(String name, String descriptor) {
        return memberRef(FIELD_REF, thisClass(), name, descriptor);
    }

    public int methodRef(String owner, String name, String descriptor) {
        return memberRef(METHOD_REF, classRef(owner), name, descriptor);
    }

    private int memberRef(int tag, int type, String name, String descriptor) {
        int nameIndex = utf8(name);
        int descriptorIndex = utf8(descriptor);
        pool.u1(NAME_AND_TYPE).u2(nameIndex).u2(descriptorIndex);
        int nameAndType = poolCount++;
        pool.u1(tag).u2(type).u2(nameAndType);
        return poolCount++;
    }

    /** Adds a field without attributes. */
    public void addField(int access, String name, String descriptor) {
        fields.u2(access).u2(utf8(name)).u2(utf8(descriptor)).u2(0);
        addedFields++;
    }

    /**
     * Puts {@code code} before the method's first instruction. {@code code} may jump only to its
     * own last byte, where it then needs a frame: {@code frameStackItem} is the pool index of the
     * {@code CONSTANT_Class} of the one value on the stack there (the locals are the method's on
     * entry), {@code 0} when {@code code} does not jump.
     *
     * @param code the instructions, their length a multiple of four (pad with {@code nop}s first)
     * @param maxStack the stack the added code needs
     * @return {@code false}, the method left as it was, where its code carries what this does not
     *     move (type annotations on instructions, an attribute it does not know), the class is older
     *     than stack map frames, the method has no code, or would grow past the JVM's limit
     */
    public boolean prepend(Member method, byte[] code, int maxStack, int frameStackItem) {
        if (code.length % 4 != 0) {
            throw new IllegalArgumentException("added code of " + code.length + " bytes");
        }
        int attribute = patchableCode(method, code.length);
        if (attribute < 0) {
            return false;
        }
        int codeLength = u4(attribute + 10);
        byte[] body = new byte[code.length + codeLength];
        System.arraycopy(code, 0, body, 0, code.length);
        System.arraycopy(in, attribute + 14, body, code.length, codeLength);
        return replaceCode(attribute, body, maxStack, new Moved(0, code.length, false), frameStackItem, false);
    }

    /**
     * Puts {@code code} in the middle of the method, before the instruction at {@code at}. Every
     * jump to {@code at} then runs the added code first, and the added code falls through to that
     * instruction, which moves with everything after it; the jumps across the added code are
     * lengthened. {@code code} may not jump, and must leave the stack and the locals as it found
     * them: a frame at {@code at} describes the state before and after it. It may use what is on
     * the stack there (a {@code dup} of the value an instruction just made).
     *
     * @param at the offset of an instruction in the method's code, as the class file has it
     * @param maxStack the stack the added code needs above what is on it at {@code at}
     * @return {@code false}, the method left as it was, where {@code at} is not an instruction's
     *     offset, the method's code holds an instruction this does not decode ({@code tableswitch},
     *     {@code lookupswitch}, {@code wide}, {@code jsr}, {@code ret}), jumps without a stack map,
     *     or has a jump across the added code that would no longer reach, or as for {@link #prepend}
     */
    public boolean insert(Member method, int at, byte[] code, int maxStack) {
        int attribute = patchableCode(method, code.length);
        if (attribute < 0) {
            return false;
        }
        int[] instructions = instructions(method);
        if (instructions == null || Arrays.binarySearch(instructions, at) < 0) {
            return false;
        }
        int start = attribute + 14;
        int codeLength = u4(attribute + 10);
        Moved moved = new Moved(at, code.length, true);
        byte[] body = new byte[codeLength + code.length];
        System.arraycopy(in, start, body, 0, at);
        System.arraycopy(code, 0, body, at, code.length);
        System.arraycopy(in, start + at, body, at + code.length, codeLength - at);
        boolean jumps = u2(start + codeLength) > 0; // an exception handler is jumped to
        for (int pc : instructions) {
            int opcode = in[start + pc] & 0xFF;
            int from = moved.instruction(pc);
            if (opcode >= 0x99 && opcode <= 0xa7 || opcode == 0xc6 || opcode == 0xc7) {
                jumps = true;
                int jump = moved.target(pc + (short) u2(start + pc + 1)) - from;
                if (jump != (short) jump) {
                    return false;
                }
                body[from + 1] = (byte) (jump >>> 8);
                body[from + 2] = (byte) jump;
            } else if (opcode == 0xc8) { // goto_w
                jumps = true;
                int jump = moved.target(pc + u4(start + pc + 1)) - from;
                for (int i = 0; i < 4; i++) {
                    body[from + 1 + i] = (byte) (jump >>> (24 - 8 * i));
                }
            }
        }
        // What is on the stack at that point is not known here: the added code's needs go on top.
        return replaceCode(attribute, body, u2(attribute + 6) + maxStack, moved, 0, jumps);
    }

    /**
     * The method's {@code Code} attribute, where code may be added to it: {@code -1} where the
     * method has none, the class is older than stack map frames, or the code would grow past the
     * JVM's limit.
     */
    private int patchableCode(Member method, int added) {
        int attribute = method.code();
        return attribute < 0 || majorVersion() < FRAMES_VERSION || u4(attribute + 10) + added > 65535 ? -1 : attribute;
    }

    /**
     * The offsets of the method's instructions, in order; {@code null} where it has no code or
     * holds an instruction {@link #insert} does not decode.
     */
    public int[] instructions(Member method) {
        int attribute = method.code();
        if (attribute < 0) {
            return null;
        }
        int start = attribute + 14;
        int codeLength = u4(attribute + 10);
        int[] found = new int[codeLength];
        int count = 0;
        for (int pc = 0; pc < codeLength; count++) {
            int length = instructionLength(in[start + pc] & 0xFF);
            if (length < 0) {
                return null;
            }
            found[count] = pc;
            pc += length;
        }
        int[] offsets = new int[count];
        System.arraycopy(found, 0, offsets, 0, count);
        return offsets;
    }

    /** The opcode of the method's instruction at {@code pc}, one of {@link #instructions}. */
    public int opcode(Member method, int pc) {
        return in[method.code() + 14 + pc] & 0xFF;
    }

    /**
     * Whether the method's instruction at {@code pc}, one of {@link #instructions}, invokes
     * {@code owner.name} of this descriptor: an {@code invokevirtual}, {@code invokespecial},
     * {@code invokestatic} or {@code invokeinterface} of that member.
     */
    public boolean invokes(Member method, int pc, String owner, String name, String descriptor) {
        int at = method.code() + 14 + pc;
        int opcode = in[at] & 0xFF;
        if (opcode < 0xb6 || opcode > 0xb9) {
            return false;
        }
        int member = entries[u2(at + 1)];
        int nameAndType = entries[u2(member + 3)];
        return (in[member] == METHOD_REF || in[member] == 11) && utf8Is(u2(entries[u2(member + 1)] + 1), owner)
                && utf8Is(u2(nameAndType + 1), name) && utf8Is(u2(nameAndType + 3), descriptor);
    }

    /**
     * The string the method's instruction at {@code pc}, one of {@link #instructions}, loads: an
     * {@code ldc} or {@code ldc_w} of a {@code CONSTANT_String}; {@code null} for any other.
     */
    public String loadedString(Member method, int pc) {
        int at = method.code() + 14 + pc;
        int opcode = in[at] & 0xFF;
        int index = opcode == 0x12 ? in[at + 1] & 0xFF : opcode == 0x13 ? u2(at + 1) : 0;
        return index != 0 && in[entries[index]] == STRING ? utf8(u2(entries[index] + 1)) : null;
    }

    /**
     * The name and the descriptor of the field or method the method's instruction at {@code pc},
     * one of {@link #instructions}, uses ({@code getstatic} to {@code invokeinterface}); {@code
     * null} for any other.
     */
    public String[] memberUsed(Member method, int pc) {
        int at = method.code() + 14 + pc;
        int opcode = in[at] & 0xFF;
        if (opcode < 0xb2 || opcode > 0xb9) {
            return null;
        }
        int nameAndType = entries[u2(entries[u2(at + 1)] + 3)];
        return new String[] {utf8(u2(nameAndType + 1)), utf8(u2(nameAndType + 3))};
    }

    /**
     * An instruction's length in bytes, {@code -1} for those {@link #insert} does not decode: the
     * switches (padded to their offset), {@code wide}, {@code jsr} and {@code ret} (JVMS 6.5).
     */
    private static int instructionLength(int opcode) {
        if (opcode <= 0x0f || opcode >= 0x1a && opcode <= 0x35 || opcode >= 0x3b && opcode <= 0x83
                || opcode >= 0x85 && opcode <= 0x98 || opcode >= 0xac && opcode <= 0xb1 || opcode >= 0xbe && opcode <= 0xbf
                || opcode == 0xc2 || opcode == 0xc3) {
            return 1;
        }
        if (opcode == 0x10 || opcode == 0x12 || opcode >= 0x15 && opcode <= 0x19 || opcode >= 0x36 && opcode <= 0x3a
                || opcode == 0xbc) {
            return 2;
        }
        if (opcode == 0x11 || opcode == 0x13 || opcode == 0x14 || opcode == 0x84 || opcode >= 0x99 && opcode <= 0xa7
                || opcode >= 0xb2 && opcode <= 0xb8 || opcode == 0xbb || opcode == 0xbd || opcode == 0xc0 || opcode == 0xc1
                || opcode == 0xc6 || opcode == 0xc7) {
            return 3;
        }
        if (opcode == 0xc5) {
            return 4;
        }
        if (opcode == 0xb9 || opcode == 0xba || opcode == 0xc8) {
            return 5;
        }
        return -1;
    }

    /**
     * Offsets in a method's code, and where they go once {@code shift} bytes are put at {@code at}.
     * The instruction at {@code at} moves; a jump to it, a frame on it, a line or a local variable
     * starting there move with it when the added code goes first in the method, and stay (the added
     * code now being the first thing run there) when it goes in the middle ({@code intoTarget}).
     */
    private static final class Moved {
        final int at;
        final int shift;
        final boolean intoTarget;

        Moved(int at, int shift, boolean intoTarget) {
            this.at = at;
            this.shift = shift;
            this.intoTarget = intoTarget;
        }

        /** Where the instruction at {@code pc} goes. */
        int instruction(int pc) {
            return pc >= at ? pc + shift : pc;
        }

        /** Where a jump to {@code pc}, a frame, or the start or end of a range goes. */
        int target(int pc) {
            return pc > at || pc == at && !intoTarget ? pc + shift : pc;
        }
    }

    /**
     * Replaces the method's code attribute with one holding {@code body}: what holds an offset into
     * the code (the exception table, the line and local variable tables, the stack map) moved as
     * {@code moved} says, and for {@link #prepend} the added code's own frame. {@code false} where
     * the method has no stack map yet {@code framesNeeded}: code that jumps has frames, unless the
     * JVM re-created the class for a retransformation without them (JDK 17 does, for its own
     * classes), and then nothing would describe the moved code.
     */
    private boolean replaceCode(int attribute, byte[] body, int maxStack, Moved moved, int frameStackItem,
            boolean framesNeeded) {
        int codeLength = u4(attribute + 10);
        Bytes out = new Bytes();
        out.u2(u2(attribute)).u4(0); // the length, set below
        out.u2(Math.max(u2(attribute + 6), maxStack)).u2(u2(attribute + 8));
        out.u4(body.length).bytes(body, 0, body.length);
        int offset = attribute + 14 + codeLength;
        int handlers = u2(offset);
        out.u2(handlers);
        offset += 2;
        for (int i = 0; i < handlers; i++, offset += 8) {
            out.u2(moved.target(u2(offset))).u2(moved.target(u2(offset + 2))).u2(moved.target(u2(offset + 4)))
                    .u2(u2(offset + 6));
        }
        int attributes = u2(offset);
        offset += 2;
        boolean framed = false;
        Bytes nested = new Bytes();
        int nestedCount = 0;
        for (int i = 0; i < attributes; i++) {
            int name = u2(offset);
            int length = u4(offset + 2);
            int at = offset + 6;
            if (utf8Is(name, "LineNumberTable")) {
                nested.u2(name).u4(length).u2(u2(at));
                for (int entry = at + 2; entry < at + length; entry += 4) {
                    nested.u2(moved.target(u2(entry))).u2(u2(entry + 2));
                }
            } else if (utf8Is(name, "LocalVariableTable") || utf8Is(name, "LocalVariableTypeTable")) {
                nested.u2(name).u4(length).u2(u2(at));
                for (int entry = at + 2; entry < at + length; entry += 10) {
                    int first = moved.target(u2(entry));
                    nested.u2(first).u2(moved.target(u2(entry) + u2(entry + 2)) - first).bytes(in, entry + 4, 6);
                }
            } else if (utf8Is(name, "StackMapTable")) {
                framed = true;
                frames(nested, name, at, length, moved, frameStackItem);
            } else {
                return false;
            }
            nestedCount++;
            offset = at + length;
        }
        if (!framed && framesNeeded) {
            return false;
        }
        if (!framed && frameStackItem != 0) {
            nested.u2(utf8("StackMapTable"));
            int lengthAt = nested.size();
            nested.u4(0).u2(1);
            addedFrame(nested, moved.shift, frameStackItem);
            nested.setU4(lengthAt, nested.size() - lengthAt - 4);
            nestedCount++;
        }
        out.u2(nestedCount).bytes(nested.array(), 0, nested.size());
        out.setU4(2, out.size() - 6);
        if (replaced.put(attribute, new Replaced(offset, out.toArray())) != null) {
            throw new IllegalStateException("a method's code patched twice");
        }
        return true;
    }

    /**
     * The stack map table with the original code's frames moved, after the added code's own frame
     * where {@link #prepend} adds one (on the added code's last byte). A value not yet constructed
     * names the {@code new} that makes it by its offset, which moves too.
     */
    private void frames(Bytes out, int name, int body, int length, Moved moved, int frameStackItem) {
        int count = u2(body);
        int lengthAt = out.size() + 2;
        out.u2(name).u4(0).u2(frameStackItem != 0 ? count + 1 : count);
        int previous = -1;
        if (frameStackItem != 0) {
            addedFrame(out, moved.shift, frameStackItem);
            previous = moved.shift - 1;
        }
        int original = -1;
        int at = body + 2;
        for (int i = 0; i < count; i++) {
            int type = in[at] & 0xFF;
            int delta = type < 64 ? type : type < 128 ? type - 64 : u2(at + 1);
            original += delta + 1;
            int offset = moved.target(original);
            int newDelta = offset - previous - 1;
            previous = offset;
            if (type < 64) {
                sameFrame(out, newDelta, 251);
                at += 1;
            } else if (type < 128) {
                sameFrame(out, newDelta, 247);
                at = verificationType(out, at + 1, moved);
            } else if (type < 247) {
                throw new IllegalArgumentException("reserved stack map frame type " + type);
            } else {
                out.u1(type).u2(newDelta);
                at += 3;
                if (type == 247) {
                    at = verificationType(out, at, moved);
                } else if (type >= 252 && type <= 254) {
                    for (int local = 251; local < type; local++) {
                        at = verificationType(out, at, moved);
                    }
                } else if (type == 255) {
                    for (int list = 0; list < 2; list++) {
                        int items = u2(at);
                        out.u2(items);
                        at += 2;
                        for (int item = 0; item < items; item++) {
                            at = verificationType(out, at, moved);
                        }
                    }
                }
            }
        }
        if (at != body + length) {
            throw new IllegalArgumentException("stack map table of " + length + " bytes read as " + (at - body));
        }
        out.setU4(lengthAt, out.size() - lengthAt - 4);
    }

    /** Copies one {@code verification_type_info}, an uninitialized value's {@code new} moved; returns where the next starts. */
    private int verificationType(Bytes out, int at, Moved moved) {
        int tag = in[at] & 0xFF;
        out.u1(tag);
        if (tag == CLASS) {
            out.u2(u2(at + 1));
            return at + 3;
        }
        if (tag == UNINITIALIZED) {
            out.u2(moved.instruction(u2(at + 1)));
            return at + 3;
        }
        return at + 1;
    }

    /** A frame of type {@code same_frame} (or its one-stack-item form) at this offset delta. */
    private static void sameFrame(Bytes out, int delta, int extendedType) {
        int shortBase = extendedType == 251 ? 0 : 64;
        if (delta < 64) {
            out.u1(shortBase + delta);
        } else {
            out.u1(extendedType).u2(delta);
        }
    }

    /** The added code's frame, on its last byte: the entry locals and one reference on the stack. */
    private static void addedFrame(Bytes out, int shift, int stackItem) {
        sameFrame(out, shift - 1, 247);
        out.u1(CLASS).u2(stackItem);
    }

    /**
     * Code for {@link #prepend}: {@code nop}s first, to a length that is a multiple of four. Jumps
     * inside it are relative, so they need no change.
     */
    public static byte[] aligned(Bytes code) {
        int padding = (4 - code.size() % 4) % 4;
        byte[] aligned = new byte[padding + code.size()];
        System.arraycopy(code.array(), 0, aligned, padding, code.size()); // nop is 0
        return aligned;
    }

    /**
     * A method descriptor's argument types, each as a field descriptor ({@code I}, {@code [J},
     * {@code La/B;}), into {@code arguments}; returns the return type's ({@code V} for none).
     */
    public static String parseDescriptor(String descriptor, List<String> arguments) {
        int at = 1;
        while (descriptor.charAt(at) != ')') {
            int start = at;
            while (descriptor.charAt(at) == '[') {
                at++;
            }
            if (descriptor.charAt(at) == 'L') {
                at = descriptor.indexOf(';', at);
            }
            at++;
            arguments.add(descriptor.substring(start, at));
        }
        return descriptor.substring(at + 1);
    }

    /** The patched class file. */
    public byte[] toBytes() {
        Bytes out = new Bytes();
        out.bytes(in, 0, 8).u2(poolCount).bytes(in, 10, poolEnd - 10).bytes(pool.array(), 0, pool.size());
        out.bytes(in, poolEnd, fieldsStart - poolEnd);
        out.u2(u2(fieldsStart) + addedFields).bytes(in, fieldsStart + 2, methodsStart - fieldsStart - 2)
                .bytes(fields.array(), 0, fields.size());
        int copied = methodsStart;
        for (Map.Entry<Integer, Replaced> code : replaced.entrySet()) {
            out.bytes(in, copied, code.getKey() - copied);
            byte[] replacement = code.getValue().bytes;
            out.bytes(replacement, 0, replacement.length);
            copied = code.getValue().end;
        }
        out.bytes(in, copied, in.length - copied);
        if (poolCount > 65535) {
            throw new IllegalStateException("constant pool full");
        }
        return out.toArray();
    }

    private Member find(int start, String name, String descriptor) {
        int count = u2(start);
        int offset = start + 2;
        for (int i = 0; i < count; i++) {
            if (utf8Is(u2(offset + 2), name) && (descriptor == null || utf8Is(u2(offset + 4), descriptor))) {
                return new Member(offset);
            }
            offset = skipAttributes(offset + 6);
        }
        return null;
    }

    private int skipMembers(int start) {
        int count = u2(start);
        int offset = start + 2;
        for (int i = 0; i < count; i++) {
            offset = skipAttributes(offset + 6);
        }
        return offset;
    }

    private int skipAttributes(int countAt) {
        int count = u2(countAt);
        int offset = countAt + 2;
        for (int i = 0; i < count; i++) {
            offset += 6 + u4(offset + 2);
        }
        return offset;
    }

    private boolean utf8Is(int index, String expected) {
        int offset = entries[index];
        if (in[offset] != UTF8 || u2(offset + 1) != expected.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            // Names compared here are ASCII, which modified UTF-8 writes a byte per character.
            if (in[offset + 3 + i] != expected.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String utf8(int index) {
        int offset = entries[index];
        return new String(in, offset + 3, u2(offset + 1), StandardCharsets.UTF_8);
    }

    private static byte[] modifiedUtf8(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0 || c > 0x7F) {
                throw new IllegalArgumentException("not ASCII: " + value);
            }
        }
        return value.getBytes(StandardCharsets.US_ASCII);
    }

    private int u2(int offset) {
        return ((in[offset] & 0xFF) << 8) | (in[offset + 1] & 0xFF);
    }

    private int u4(int offset) {
        return (u2(offset) << 16) | u2(offset + 2);
    }

    /** A code attribute's new bytes, and where the old one ends. */
    private static final class Replaced {
        final int end;
        final byte[] bytes;

        Replaced(int end, byte[] bytes) {
            this.end = end;
            this.bytes = bytes;
        }
    }

    /** A field or method of the class. */
    public final class Member {
        private final int offset;

        private Member(int offset) {
            this.offset = offset;
        }

        public int access() {
            return u2(offset);
        }

        public String descriptor() {
            return utf8(u2(offset + 4));
        }

        /** The offset of the {@code Code} attribute, or -1. */
        private int code() {
            int count = u2(offset + 6);
            int at = offset + 8;
            for (int i = 0; i < count; i++) {
                if (utf8Is(u2(at), "Code")) {
                    return at;
                }
                at += 6 + u4(at + 2);
            }
            return -1;
        }
    }

    /** A growable byte array, written big-endian as class files are. */
    public static final class Bytes {
        private byte[] data = new byte[64];
        private int size;

        public Bytes u1(int value) {
            ensure(1);
            data[size++] = (byte) value;
            return this;
        }

        public Bytes u2(int value) {
            ensure(2);
            data[size++] = (byte) (value >>> 8);
            data[size++] = (byte) value;
            return this;
        }

        public Bytes u4(int value) {
            return u2(value >>> 16).u2(value);
        }

        public Bytes bytes(byte[] source, int offset, int length) {
            ensure(length);
            System.arraycopy(source, offset, data, size, length);
            size += length;
            return this;
        }

        public void setU2(int at, int value) {
            data[at] = (byte) (value >>> 8);
            data[at + 1] = (byte) value;
        }

        void setU4(int at, int value) {
            data[at] = (byte) (value >>> 24);
            data[at + 1] = (byte) (value >>> 16);
            data[at + 2] = (byte) (value >>> 8);
            data[at + 3] = (byte) value;
        }

        public int size() {
            return size;
        }

        byte[] array() {
            return data;
        }

        public byte[] toArray() {
            byte[] copy = new byte[size];
            System.arraycopy(data, 0, copy, 0, size);
            return copy;
        }

        private void ensure(int more) {
            if (size + more > data.length) {
                byte[] grown = new byte[Math.max(data.length * 2, size + more)];
                System.arraycopy(data, 0, grown, 0, size);
                data = grown;
            }
        }
    }
}
