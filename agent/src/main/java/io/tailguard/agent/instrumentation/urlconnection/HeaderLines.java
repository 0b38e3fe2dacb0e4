package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.instrumentation.ClassFilePatch;
import io.tailguard.agent.instrumentation.TagLines;
import io.tailguard.agent.instrumentation.TagNames;
import io.tailguard.bootstrap.CallInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import java.io.PrintStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.List;

/**
 * {@code HttpURLConnection}'s tags written as bytes where the connection prints its request
 * headers, instead of as entries of its header list: the JDK prints every entry through a
 * {@code StringBuilder}, a concatenated value and a {@code String} of its own, some 700 B for the
 * tags of one request. {@code sun.net.www.MessageHeader}'s private static {@code print}, which
 * writes every request's header block, gets one call before it writes the block's last empty
 * line: {@code Dispatcher.printWireTags(out, keys)}, which hands the stream to this class's
 * interceptor. That writes the lines an attempt running on the same thread registered
 * ({@link #pending}), and nothing otherwise, or for a proxy's {@code CONNECT} request (the tunnel
 * the attempt's request then goes through), so the tags go out on the request the JDK sends for
 * the attempt, and again on a redirect or an authentication retry it follows, as they do as entries
 * of the list the JDK re-sends.
 *
 * <p>The call goes into the method's bytes as the class is first defined ({@link #rewrite}, no
 * bytecode library loaded: most applications load the class at startup, jar URLs use it, and a
 * rewrite with ASM there held up the application's first connection for some 20 ms). Where the
 * class was loaded before the agent, a thread of the agent's retransforms it once the client is
 * hooked ({@link #rewriteHeaderClass}). Until it is rewritten, and where that cannot be done, or
 * the method is not as on the JDKs it was checked on (17 to 25), tags go into the header list as
 * before ({@link #linesFor} answers {@code null}).
 */
public final class HeaderLines implements ClassFileTransformer {

    private static final String MESSAGE_HEADER = "sun/net/www/MessageHeader";
    /** The static method that prints a header block: {@code print(nkeys, keys, values, out)}. */
    private static final String PRINT_DESCRIPTOR = "(I[Ljava/lang/String;[Ljava/lang/String;Ljava/io/PrintStream;)V";
    /** Access flags and opcodes (JVMS chapters 4 and 6). */
    private static final int STATIC = 0x0008;
    private static final int ALOAD_1 = 0x2b;
    private static final int ALOAD_3 = 0x2d;
    private static final int LDC = 0x12;
    private static final int LDC_W = 0x13;
    private static final int INVOKESTATIC = 0xb8;
    private static final int FIRST_CHECKED = 17;
    private static final int LAST_CHECKED = 25;
    /** Names the JDK sets itself as it sends a request, or treats apart: tags of these names go into the list. */
    private static final TagNames WRITABLE = TagNames.noneOf(List.of("host", "user-agent", "accept", "connection",
            "proxy-connection", "content-length", "content-type", "transfer-encoding", "cache-control", "pragma",
            "if-modified-since", "cookie", "cookie2", "authorization", "proxy-authorization", "expect"));

    private static final ThreadLocal<byte[]> PENDING = new ThreadLocal<>();
    /** The interceptor that writes the lines is installed ({@link #prepare}). */
    private static volatile boolean writing;
    /**
     * The class in effect is this transformer's work: with {@link #writing}, tags may be left to it.
     * Set as the class is defined (no thread uses it before), and after a retransformation the agent
     * asked for has returned ({@link #rewriteHeaderClass}): until the JVM has redefined the class,
     * the one in effect is the one before, which writes no tags.
     */
    private static volatile boolean transformed;
    /** Whether the last retransformation's bytes were rewritten here: {@link #transformed} once it returns. */
    private static volatile boolean retransformRewritten;
    private static volatile boolean preparing;
    private static volatile Instrumentation instrumentation;

    HeaderLines() {
    }

    /**
     * Registers the transformer (premain or attach, with the client's instrumentation on), which
     * rewrites the header class as it is defined; tags are left to it once {@link #prepare} has
     * installed the interceptor.
     */
    public static void register(Instrumentation inst) {
        if (applies()) {
            instrumentation = inst;
            inst.addTransformer(new HeaderLines(), true);
        }
    }

    private static boolean applies() {
        int feature = Runtime.version().feature();
        return feature >= FIRST_CHECKED && feature <= LAST_CHECKED;
    }

    /**
     * Installs the interceptor, once: {@code true} for the call that did, which then has the header
     * class rewritten ({@link #rewriteHeaderClass}, on a thread of the agent's).
     */
    static boolean prepare() {
        if (instrumentation == null || preparing) {
            return false;
        }
        synchronized (HeaderLines.class) {
            if (preparing) {
                return false;
            }
            preparing = true;
        }
        Dispatcher.install(Dispatcher.URLCONNECTION_TAG_LINES, new LineWriter());
        writing = true;
        return true;
    }

    /**
     * Loads the header class where it is not loaded yet (the transformer rewrites it as it is
     * defined), and retransforms it where it was loaded without the rewrite.
     */
    static void rewriteHeaderClass() {
        Instrumentation inst = instrumentation;
        try {
            Class<?> headers = Class.forName(MESSAGE_HEADER.replace('/', '.'), false, null);
            if (!transformed && inst.isModifiableClass(headers)) {
                inst.retransformClasses(headers);
                transformed = retransformRewritten;
            }
            Log.debug(transformed ? "HttpURLConnection's tags are written with its header lines"
                    : "HttpURLConnection's tags go into its header list: its header class is not as expected");
        } catch (Throwable failure) {
            // The JVM refused the retransformed class: it is as it was.
            transformed = false;
            Log.debug("HttpURLConnection's tags go into its header list: " + failure);
        }
    }

    /**
     * The attempt's tag lines as the connection's header printing is to write them, or {@code null}
     * when they go into its header list instead: the header class not rewritten (yet), no tags, a
     * tag the application set itself (its own request id), or one the JDK sets or treats apart or
     * whose name is not plain visible ASCII. The values are the engine's, plain text already.
     */
    static byte[] linesFor(AttemptSpec tags, ConnectionFields.Request request, ConnectionFields fields)
            throws ReflectiveOperationException {
        int count = tags.headerCount();
        if (count == 0 || !writing || !transformed) {
            return null;
        }
        for (int i = 0; i < count; i++) {
            String name = tags.headerName(i);
            if (!WRITABLE.writable(name) || fields.requestHeader(request, name) != null) {
                return null;
            }
        }
        return TagLines.of(tags);
    }

    /** The lines the headers printed on this thread get, until {@code null}: an attempt's exchange. */
    static void pending(byte[] lines) {
        if (lines != null || PENDING.get() != null) {
            PENDING.set(lines);
        }
    }

    /** Called with the stream a header block is printed to and the block's keys, before its last line. */
    private static final class LineWriter implements CallInterceptor {
        @Override
        public Object intercept(Object out, Object[] keys) {
            byte[] lines = PENDING.get();
            if (lines != null && out instanceof PrintStream
                    && !(keys.length > 0 && keys[0] != null && keys[0].toString().startsWith("CONNECT "))) {
                ((PrintStream) out).write(lines, 0, lines.length);
            }
            return null;
        }
    }

    /**
     * Rewrites the header class as it is first defined, in its bytes, and again whenever it is
     * retransformed (by {@link #rewriteHeaderClass} where it was loaded before, or by another
     * agent), when the rewrite must be made again. A class the JVM re-creates for a
     * retransformation may come without the stack map frames the byte patch goes by (the JDK 17's
     * own classes do); ASM rewrites it then ({@link MessageHeaderRewrite}).
     */
    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (loader != null || !MESSAGE_HEADER.equals(className)) {
            return null;
        }
        try {
            byte[] result = rewrite(classfileBuffer);
            if (result == null && classBeingRedefined != null) {
                result = MessageHeaderRewrite.apply(classfileBuffer);
            }
            if (classBeingRedefined == null || result == null) {
                // Defined rewritten; or a class not rewritten is coming, and tags go into the list
                // from now on (the class before writes none unless an attempt asks it to).
                transformed = result != null;
            }
            retransformRewritten = result != null;
            return result;
        } catch (Throwable failure) {
            transformed = false;
            retransformRewritten = false;
            Log.debug("HttpURLConnection's header class could not be rewritten: " + failure);
            return null;
        }
    }

    /**
     * The header class with {@code Dispatcher.printWireTags(out, keys)} called in its static
     * {@code print} just before the block's last line, put into the method's bytes ({@link
     * ClassFilePatch#insert}: ASM is not loaded for it). {@code null} unless that method makes
     * exactly one {@code PrintStream.print(String)} call, that line's, as {@code out.print} of a
     * constant, where the loop over the lines ends (a frame with an empty stack): the call goes
     * there, before the stream and the line are loaded.
     */
    static byte[] rewrite(byte[] classFile) {
        ClassFilePatch patch = ClassFilePatch.of(classFile);
        ClassFilePatch.Member print = patch.method("print", PRINT_DESCRIPTOR);
        int[] code = print == null || (print.access() & STATIC) == 0 ? null : patch.instructions(print);
        if (code == null) {
            return null;
        }
        int lastLine = -1;
        for (int i = 0; i < code.length; i++) {
            if (patch.invokes(print, code[i], "java/io/PrintStream", "print", "(Ljava/lang/String;)V")) {
                if (lastLine >= 0) {
                    return null;
                }
                lastLine = i;
            }
        }
        if (lastLine < 2 || patch.opcode(print, code[lastLine - 2]) != ALOAD_3
                || patch.opcode(print, code[lastLine - 1]) != LDC && patch.opcode(print, code[lastLine - 1]) != LDC_W) {
            return null;
        }
        ClassFilePatch.Bytes call = new ClassFilePatch.Bytes().u1(ALOAD_3).u1(ALOAD_1).u1(INVOKESTATIC)
                .u2(patch.methodRef("io/tailguard/bootstrap/Dispatcher", "printWireTags",
                        "(Ljava/lang/Object;[Ljava/lang/Object;)V"));
        return patch.insert(print, code[lastLine - 2], call.toArray(), 2) ? patch.toBytes() : null;
    }
}
