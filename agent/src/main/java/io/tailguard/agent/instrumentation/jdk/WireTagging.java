package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.DaemonThreads;
import io.tailguard.agent.instrumentation.ClassFilePatch;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.http.HttpClient;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JDK client writes a tagged attempt's tags itself, where it writes the request's header
 * lines, instead of taking them as headers of the request it is given: it copies those headers
 * into sorted maps twice and checks every name again on the way to the wire, which for three tags
 * cost it some 2 KB and 3 µs per call, more than all the rest of the agent's work. Three classes of
 * {@code java.net.http}'s implementation get a few instructions each, as they are first loaded:
 * <ul>
 *   <li>{@code HttpRequestImpl}, the client's copy of every request, gets a field for the
 *       attempt's tags, set where it copies a request given to the client ({@link
 *       io.tailguard.bootstrap.Dispatcher#wireTags}) and carried over where it derives one from
 *       another (a redirect, an authentication retry), as the client carries its headers;</li>
 *   <li>{@code Http1Request.collectCookies}, which the client calls once per HTTP/1.1 request
 *       right after writing the user's headers, first appends the tags' lines;</li>
 *   <li>{@code Stream.headerFrame}, where an HTTP/2 stream encodes its request headers, first adds
 *       the tags to the request's own headers.</li>
 * </ul>
 * Only the agent's attempts carry tags there ({@link AttemptRequest.OnTheWire}); every other
 * request passes the added instructions with a {@code null} and goes out as without the agent.
 * The instructions go into the class files' bytes ({@link ClassFilePatch}): ASM is not loaded for
 * them, as the application starts.
 *
 * <p>Unlike the hooks' prologues, this adds a field, so it is done only where a class is first
 * defined, by a transformer that does not take part in retransformations (the JVM then starts a
 * retransformation from the bytes made here). The JVM hands every class it defines to such
 * transformers apart from the others, with a copy of its bytes of their own: some 4 to 6 µs per
 * class, 15 to 25 ms for 4,000 classes, for as long as one is registered. So the transformer is
 * added only when the client is first hooked, before it can load the three classes, and removed
 * once they are loaded ({@link #prepare}); an application that never uses the JDK's client never
 * has it. Where the classes are not as on the JDKs it was checked on (17 to 25: the field and
 * methods named above), where any of them was loaded before the agent (an attach), or on a later
 * JDK, whose client may send requests another way (HTTP/3), nothing is rewritten or nothing uses
 * it, and tagged attempts carry their tags as headers of the request, as before ({@link #available}).
 */
public final class WireTagging implements ClassFileTransformer {

    private static final String PACKAGE = "jdk/internal/net/http/";
    /** The package of the client's header builder, opened to the agent at startup. */
    static final String HEADERS_BUILDER_PACKAGE = "jdk.internal.net.http.common";
    private static final String REQUEST_COPY = PACKAGE + "HttpRequestImpl";
    private static final String HTTP1_REQUEST = PACKAGE + "Http1Request";
    private static final String STREAM = PACKAGE + "Stream";
    private static final String REQUEST_COPY_DESCRIPTOR = "L" + REQUEST_COPY + ";";
    private static final String FIELD = "tailguard$tags";
    private static final String OBJECT = "Ljava/lang/Object;";
    private static final String DISPATCHER = "io/tailguard/bootstrap/Dispatcher";
    private static final String HTTP1_METHOD = "collectCookies";
    private static final String HTTP1_DESCRIPTOR = "(Ljava/lang/StringBuilder;Ljava/net/http/HttpHeaders;"
            + "Ljava/net/http/HttpHeaders;)V";
    private static final String STREAM_METHOD = "headerFrame";
    private static final String STREAM_DESCRIPTOR = "(J)Ljdk/internal/net/http/frame/OutgoingHeaders;";
    /** Access flags and opcodes (JVMS chapters 4 and 6). */
    private static final int STATIC = 0x0008;
    private static final int TRANSIENT = 0x0080;
    private static final int SYNTHETIC = 0x1000;
    private static final int ALOAD = 0x19;
    private static final int ALOAD_0 = 0x2a;
    private static final int ALOAD_1 = 0x2b;
    private static final int ALOAD_2 = 0x2c;
    private static final int DUP = 0x59;
    private static final int SWAP = 0x5f;
    private static final int GETFIELD = 0xb4;
    private static final int PUTFIELD = 0xb5;
    private static final int INVOKEVIRTUAL = 0xb6;
    private static final int INVOKESTATIC = 0xb8;
    private static final int FIRST_CHECKED = 17;
    private static final int LAST_CHECKED = 25;

    private static final int COPY_DONE = 1;
    private static final int HTTP1_DONE = 2;
    private static final int STREAM_DONE = 4;
    private static final int ALL_DONE = COPY_DONE | HTTP1_DONE | STREAM_DONE;
    private static final int FAILED = -1;
    /** Which of the three classes were rewritten, or {@link #FAILED} once one could not be. */
    private static final AtomicInteger REWRITTEN = new AtomicInteger();
    private static volatile boolean loading;
    /** Where the transformer is added when the client is first hooked ({@link #register}). */
    private static volatile Instrumentation instrumentation;
    /**
     * {@code HttpRequestImpl.getSystemHeadersBuilder().map()}, for {@link AttemptRequest.OnTheWire#addTo};
     * set once all three classes are rewritten.
     */
    private static volatile MethodHandle systemHeaders;

    /** Whether this JDK's client is one the rewriting was checked on. */
    private static boolean applies() {
        int feature = Runtime.version().feature();
        return feature >= FIRST_CHECKED && feature <= LAST_CHECKED;
    }

    /**
     * Whether tagged attempts may leave their tags to the client's own header writing: all three
     * classes rewritten and checked ({@link #prepare}). Until then they carry them as headers.
     */
    static boolean available() {
        if (systemHeaders != null) {
            return true;
        }
        prepare();
        return false;
    }

    /**
     * Keeps the agent's instrumentation for {@link #prepare}, where the JDK's client is instrumented
     * and this JDK is one the rewriting was checked on (premain, or an attach). Adds nothing yet.
     */
    public static void register(Instrumentation inst) {
        if (applies()) {
            instrumentation = inst;
        }
    }

    /**
     * Adds the transformer and has the three classes loaded (and so rewritten) on a thread of the
     * agent's, once: the client loads the first two for its first request and the stream for its
     * first HTTP/2 one, and their loading and rewriting (some 20 ms) is not the application's first
     * request's to wait for. Called when the client is first hooked, as its class is rewritten, so
     * the transformer is in place before the client can load any of the three; and by {@link
     * #available} should that not have run (the three are then loaded already, and go unrewritten).
     */
    public static void prepare() {
        Instrumentation inst = instrumentation;
        if (inst == null || loading || REWRITTEN.get() == FAILED) {
            return;
        }
        synchronized (WireTagging.class) {
            if (loading) {
                return;
            }
            loading = true;
        }
        WireTagging transformer = new WireTagging();
        try {
            inst.addTransformer(transformer, false);
        } catch (Throwable refused) {
            REWRITTEN.set(FAILED);
            Log.debug("tagged JDK requests carry their tags as headers of the request: " + refused);
            return;
        }
        // A class of its own, not a lambda: this runs on the application's thread, as it loads the
        // client's class, where the agent spins no lambda class.
        DaemonThreads.named("tailguard-jdk-tags").newThread(new Runnable() {
            @Override
            public void run() {
                try {
                    load();
                } finally {
                    // The three are loaded, rewritten or not: nothing is left for it to do.
                    inst.removeTransformer(transformer);
                }
            }
        }).start();
    }

    /** Loads the three classes (rewriting them, unless loaded before) and finds what {@link #systemHeaders} calls. */
    private static void load() {
        try {
            ClassLoader platform = HttpClient.class.getClassLoader();
            Class<?> copy = Class.forName(REQUEST_COPY.replace('/', '.'), false, platform);
            Class.forName(HTTP1_REQUEST.replace('/', '.'), false, platform);
            Class.forName(STREAM.replace('/', '.'), false, platform);
            MethodHandle headers = systemHeadersOf(copy);
            if (REWRITTEN.get() == ALL_DONE) {
                systemHeaders = headers;
                Log.debug("tagged JDK requests leave their tags to the client's header writing");
            } else {
                Log.debug("tagged JDK requests carry their tags as headers of the request: the client's classes "
                        + "were loaded before the agent, or not as expected");
            }
        } catch (Throwable unavailable) {
            Log.debug("tagged JDK requests carry their tags as headers of the request: " + unavailable);
        }
    }

    private static MethodHandle systemHeadersOf(Class<?> copy) throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(copy, MethodHandles.lookup());
        MethodHandle builder = lookup.findVirtual(copy, "getSystemHeadersBuilder",
                MethodType.methodType(Class.forName(HEADERS_BUILDER_PACKAGE + ".HttpHeadersBuilder", false,
                        copy.getClassLoader())));
        MethodHandle map = lookup.findVirtual(builder.type().returnType(), "map", MethodType.methodType(Map.class));
        return MethodHandles.filterReturnValue(builder, map)
                .asType(MethodType.methodType(Map.class, Object.class));
    }

    /** The headers a request copy's HTTP/2 stream encodes with the user's: the client's own, mutable. */
    @SuppressWarnings("unchecked")
    static Map<String, List<String>> systemHeaders(Object requestCopy) throws Throwable {
        return (Map<String, List<String>>) systemHeaders.invokeExact(requestCopy);
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (className == null || classBeingRedefined != null || !className.startsWith(PACKAGE)) {
            return null;
        }
        int part = className.equals(REQUEST_COPY) ? COPY_DONE
                : className.equals(HTTP1_REQUEST) ? HTTP1_DONE
                : className.equals(STREAM) ? STREAM_DONE : 0;
        if (part == 0 || REWRITTEN.get() == FAILED) {
            return null;
        }
        try {
            byte[] rewritten = null;
            if (part == COPY_DONE) {
                rewritten = rewriteRequestCopy(classfileBuffer);
            } else if ((REWRITTEN.get() & COPY_DONE) != 0) {
                // Only code that reads a field the request copy has.
                rewritten = part == HTTP1_DONE
                        ? prologue(classfileBuffer, HTTP1_METHOD, HTTP1_DESCRIPTOR, false)
                        : prologue(classfileBuffer, STREAM_METHOD, STREAM_DESCRIPTOR, true);
            }
            if (rewritten == null) {
                REWRITTEN.set(FAILED);
                Log.debug("tagged JDK requests carry their tags as headers of the request: " + className
                        + " is not as expected, or was loaded before its request copy");
                return null;
            }
            int was;
            do {
                was = REWRITTEN.get();
            } while (was != FAILED && !REWRITTEN.compareAndSet(was, was | part));
            return rewritten;
        } catch (Throwable failure) {
            REWRITTEN.set(FAILED);
            Log.debug("tagged JDK requests carry their tags as headers of the request: " + className
                    + " could not be rewritten: " + failure);
            return null;
        }
    }

    /**
     * The request copy with the tags' field, set first in each constructor that takes the request
     * given to the client or another copy: from the request ({@code Dispatcher.wireTags}), or from
     * the copy this one is derived from. (The field is the class's own, which a constructor may set
     * before it calls its superclass's; none of these calls another of the class's.) {@code null}
     * when the class has the field already (another agent's work) or lacks what the other two
     * rewrites call.
     */
    static byte[] rewriteRequestCopy(byte[] classFile) {
        ClassFilePatch patch = ClassFilePatch.of(classFile);
        if (patch.field(FIELD, null) != null) {
            return null;
        }
        int field = 0;
        int wireTags = 0;
        int constructors = 0;
        for (ClassFilePatch.Member constructor : patch.methods("<init>")) {
            List<String> arguments = new ArrayList<>();
            ClassFilePatch.parseDescriptor(constructor.descriptor(), arguments);
            int local = 1;
            for (String argument : arguments) {
                boolean fromCopy = argument.equals(REQUEST_COPY_DESCRIPTOR);
                if (fromCopy || argument.equals("Ljava/net/http/HttpRequest;")) {
                    if (local > 255) {
                        return null;
                    }
                    if (field == 0) {
                        field = patch.ownFieldRef(FIELD, OBJECT);
                    }
                    ClassFilePatch.Bytes code = new ClassFilePatch.Bytes().u1(ALOAD_0).u1(ALOAD).u1(local);
                    if (fromCopy) {
                        code.u1(GETFIELD).u2(field);
                    } else {
                        if (wireTags == 0) {
                            wireTags = patch.methodRef(DISPATCHER, "wireTags", "(Ljava/lang/Object;)Ljava/lang/Object;");
                        }
                        code.u1(INVOKESTATIC).u2(wireTags);
                    }
                    code.u1(PUTFIELD).u2(field);
                    if (!patch.prepend(constructor, ClassFilePatch.aligned(code), 2, 0)) {
                        return null;
                    }
                    constructors++;
                    break;
                }
                local += argument.equals("J") || argument.equals("D") ? 2 : 1;
            }
        }
        if (constructors == 0) {
            return null;
        }
        patch.addField(SYNTHETIC | TRANSIENT, FIELD, OBJECT);
        return patch.toBytes();
    }

    /**
     * The HTTP/1.1 writer's or the HTTP/2 stream's method with a first call handing the dispatcher
     * its request copy's tags: {@code Dispatcher.writeWireTags(request.tags, block, written.map())}
     * or {@code Dispatcher.addWireTags(request.tags, request)}. {@code null} when the class lacks
     * the method or its {@code request} field.
     */
    static byte[] prologue(byte[] classFile, String method, String descriptor, boolean stream) {
        ClassFilePatch patch = ClassFilePatch.of(classFile);
        ClassFilePatch.Member request = patch.field("request", REQUEST_COPY_DESCRIPTOR);
        ClassFilePatch.Member target = patch.method(method, descriptor);
        if (request == null || (request.access() & STATIC) != 0 || target == null
                || (target.access() & STATIC) != 0) {
            return null;
        }
        ClassFilePatch.Bytes code = new ClassFilePatch.Bytes();
        code.u1(ALOAD_0).u1(GETFIELD).u2(patch.ownFieldRef("request", REQUEST_COPY_DESCRIPTOR));
        int tags = patch.fieldRef(REQUEST_COPY, FIELD, OBJECT);
        if (stream) {
            code.u1(DUP).u1(GETFIELD).u2(tags).u1(SWAP);
            code.u1(INVOKESTATIC).u2(patch.methodRef(DISPATCHER, "addWireTags",
                    "(Ljava/lang/Object;Ljava/lang/Object;)V"));
        } else {
            code.u1(GETFIELD).u2(tags).u1(ALOAD_1).u1(ALOAD_2);
            code.u1(INVOKEVIRTUAL).u2(patch.methodRef("java/net/http/HttpHeaders", "map", "()Ljava/util/Map;"));
            code.u1(INVOKESTATIC).u2(patch.methodRef(DISPATCHER, "writeWireTags",
                    "(Ljava/lang/Object;Ljava/lang/StringBuilder;Ljava/util/Map;)V"));
        }
        return patch.prepend(target, ClassFilePatch.aligned(code), 3, 0) ? patch.toBytes() : null;
    }
}
