package io.tailguard.agent.server.servlet;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Renames {@code jakarta.servlet} to {@code javax.servlet} in a compiled class, so that one adapter,
 * compiled against Servlet 5.0 ({@code jakarta}), also runs in a container of Servlet 4.0
 * ({@code javax}). Servlet 5.0 is Servlet 4.0 with nothing changed but the package names, so the
 * renamed class links against the javax API exactly as the original does against the jakarta one.
 *
 * <p>Every name a class file uses (class references, descriptors, generic signatures) and every
 * string literal (the {@code jakarta.servlet.request.X509Certificate} attribute) is a
 * {@code CONSTANT_Utf8} entry of its constant pool, and nothing else in the file points into those
 * bytes, so renaming those entries is the whole job. That is why this is done here, in a few lines,
 * rather than with ASM's {@code ClassRemapper}: that would need asm-commons in the agent jar, and
 * it does not rename string literals.
 */
public final class JakartaToJavax {

    private static final byte[][] FROM = {bytes("jakarta/servlet/"), bytes("jakarta.servlet.")};
    private static final byte[][] TO = {bytes("javax/servlet/"), bytes("javax.servlet.")};

    private static final int UTF8 = 1;
    private static final int LONG = 5;
    private static final int DOUBLE = 6;

    private JakartaToJavax() {
    }

    /** The class file with the servlet API's package renamed. */
    public static byte[] rename(byte[] classFile) {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(classFile));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(classFile.length);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(in.readInt()); // magic
            out.writeInt(in.readInt()); // minor and major version
            int count = in.readUnsignedShort();
            out.writeShort(count);
            for (int index = 1; index < count; index++) {
                int tag = in.readUnsignedByte();
                out.writeByte(tag);
                if (tag == UTF8) {
                    byte[] value = new byte[in.readUnsignedShort()];
                    in.readFully(value);
                    byte[] renamed = replace(value);
                    out.writeShort(renamed.length);
                    out.write(renamed);
                } else {
                    byte[] value = new byte[fixedSize(tag)];
                    in.readFully(value);
                    out.write(value);
                    if (tag == LONG || tag == DOUBLE) {
                        index++; // takes two entries
                    }
                }
            }
            in.transferTo(out); // everything after the constant pool refers to it by index only
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("not a class file", e);
        }
    }

    private static int fixedSize(int tag) {
        switch (tag) {
            case 7: // Class
            case 8: // String
            case 16: // MethodType
            case 19: // Module
            case 20: // Package
                return 2;
            case 15: // MethodHandle
                return 3;
            case 3: // Integer
            case 4: // Float
            case 9: // Fieldref
            case 10: // Methodref
            case 11: // InterfaceMethodref
            case 12: // NameAndType
            case 17: // Dynamic
            case 18: // InvokeDynamic
                return 4;
            case LONG:
            case DOUBLE:
                return 8;
            default:
                throw new IllegalArgumentException("unknown constant pool tag " + tag);
        }
    }

    /** Both names are ASCII, which never occurs inside a multi-byte (modified) UTF-8 sequence. */
    static byte[] replace(byte[] value) {
        ByteArrayOutputStream out = null;
        int copied = 0;
        for (int i = 0; i < value.length; i++) {
            for (int n = 0; n < FROM.length; n++) {
                if (startsWith(value, i, FROM[n])) {
                    if (out == null) {
                        out = new ByteArrayOutputStream(value.length);
                    }
                    out.write(value, copied, i - copied);
                    out.write(TO[n], 0, TO[n].length);
                    i += FROM[n].length - 1;
                    copied = i + 1;
                    break;
                }
            }
        }
        if (out == null) {
            return value;
        }
        out.write(value, copied, value.length - copied);
        return out.toByteArray();
    }

    private static boolean startsWith(byte[] value, int offset, byte[] prefix) {
        if (value.length - offset < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (value[offset + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.US_ASCII);
    }
}
