package io.tailguard.agent.instrumentation.okhttp;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.DaemonThreads;
import io.tailguard.agent.instrumentation.TagNames;
import io.tailguard.bootstrap.CodecTags;
import io.tailguard.bootstrap.Dispatcher;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OkHttp's codecs write the tags of a call's first attempt themselves, so that the attempt is the
 * application's own call: a tagged copy costs OkHttp a new request ({@code
 * newBuilder()}, whose header list starts with room for 20 entries) and a new call with its own
 * timeout, some 500 B and a microsecond per handled call. Three classes of OkHttp 3.14, 4 and 5
 * get a few instructions each, as they are loaded (or retransformed, where loaded before):
 * <ul>
 *   <li>{@code Exchange.writeRequestHeaders(Request)} first passes its call to {@link
 *       Dispatcher#codecExchange}: the tags are written for the call the attempt runs, and not for
 *       another call an interceptor makes on the same thread meanwhile;</li>
 *   <li>{@code Http1ExchangeCodec.writeRequest(Headers, String)}, before it writes its header
 *       block's empty line, passes the stream it writes to to {@link Dispatcher#codecHeaderLines},
 *       which writes the tags' lines to it (nothing is allocated for them);</li>
 *   <li>{@code Http2ExchangeCodec.writeRequestHeaders(Request)} passes the header list it made to
 *       {@link Dispatcher#codecHeaderList}, which adds the tags to it.</li>
 * </ul>
 * An {@code execute()}'s attempt registers its call and tags on the thread that runs it ({@link
 * #begin}); an {@code enqueue()}'s, which runs on one of OkHttp's threads, registers them by its
 * call ({@link #enqueued}) until its callback is told. Either way they are registered for as long
 * as the call runs, so the tags go out on each request OkHttp sends for it (a redirect, an
 * authentication retry), as a copy's headers would. A tag the request being written carries already
 * (an interceptor's own request id) is not written again. Interceptors and event listeners see the
 * application's request, without the tags.
 *
 * <p>The writing itself is the adapter's ({@link Wire}), compiled against OkHttp. Where the
 * classes are not as in the versions checked (the methods and the call above), {@link #ready}
 * answers {@code false} for that OkHttp, and tagged attempts stay copies; so they do where the
 * adapter cannot make OkHttp's HTTP/2 headers (OkHttp 5 on the module path does not export their
 * package).
 */
public final class CodecTagging implements ClassFileTransformer {

    static final String EXCHANGE = "okhttp3/internal/connection/Exchange";
    static final String HTTP1 = "okhttp3/internal/http1/Http1ExchangeCodec";
    static final String HTTP2 = "okhttp3/internal/http2/Http2ExchangeCodec";
    /**
     * Defined as the application builds its first client, well before its first call: the codecs
     * are prepared from then on ({@link #prepare}), so that the first calls find them rewritten.
     */
    static final String CLIENT = "okhttp3/OkHttpClient";

    private static final int EXCHANGE_DONE = 1;
    private static final int HTTP1_DONE = 2;
    private static final int HTTP2_DONE = 4;
    private static final int ALL_DONE = EXCHANGE_DONE | HTTP1_DONE | HTTP2_DONE;
    /** Names OkHttp sets itself or treats apart, and HTTP/2's connection headers: such tags stay on a copy. */
    private static final TagNames WRITABLE = TagNames.noneOf(List.of("host", "connection", "accept-encoding",
            "user-agent", "cookie", "content-type", "content-length", "transfer-encoding", "authorization",
            "proxy-authorization", "proxy-connection", "keep-alive", "te", "upgrade", "encoding"));
    /** The {@code execute()} attempt running on this thread, if any. */
    private static final ThreadLocal<Pending> PENDING = new ThreadLocal<>();
    /** The enqueued attempts whose codecs write tags, by call, from {@link #enqueued} until {@link #dequeued}. */
    private static final Map<Object, Pending> QUEUED = new ConcurrentHashMap<>();
    /** The attempt whose tags the next header block written on this thread carries: its call's exchange began. */
    private static final ThreadLocal<Pending> ARMED = new ThreadLocal<>();
    /** Guarded by itself: which classes each OkHttp's loader had rewritten. */
    private static final Map<ClassLoader, Integer> REWRITTEN = new WeakHashMap<>();
    /**
     * Guarded by {@link #REWRITTEN}: each OkHttp's loader once prepared, with whether its codecs
     * write tags ({@code null} until that is known).
     */
    private static final Map<ClassLoader, Boolean> PREPARED = new WeakHashMap<>();
    private static final CodecTags WRITER = new Writer();
    private static volatile Instrumentation instrumentation;

    private CodecTagging() {
    }

    /**
     * Registers the transformer (premain or attach, with OkHttp's instrumentation on); the codecs'
     * writer is installed by {@link #prepare}.
     */
    public static void register(Instrumentation inst) {
        instrumentation = inst;
        inst.addTransformer(new CodecTagging(), true);
    }

    /**
     * Has the three classes of the OkHttp in {@code loader} loaded, and so rewritten (or rewritten
     * where loaded before), on a thread of the agent's, once per loader: the first requests do not
     * wait for it, and go out as tagged copies meanwhile. The same thread then prepares that
     * OkHttp's calls ({@link OkHttpInstrumentation#prepareCalls}). Asked when that OkHttp's {@code
     * OkHttpClient} is defined, as the application builds its first client, and again by the first
     * call hooked (an {@code attach} after the client was built).
     */
    public static void prepare(ClassLoader loader) {
        if (loader == null || instrumentation == null) {
            return;
        }
        Dispatcher.installCodecTags(WRITER);
        synchronized (REWRITTEN) {
            if (PREPARED.containsKey(loader)) {
                return;
            }
            PREPARED.put(loader, null);
        }
        // A class, not a lambda: this may run on the application's thread as it defines
        // OkHttpClient, and must not be what first bootstraps invokedynamic there.
        DaemonThreads.named("tailguard-okhttp-tags").newThread(new Load(loader)).start();
    }

    /** {@link #load} on the agent's thread. */
    private static final class Load implements Runnable {
        private final ClassLoader loader;

        Load(ClassLoader loader) {
            this.loader = loader;
        }

        @Override
        public void run() {
            load(loader);
            try {
                OkHttpInstrumentation.prepareCalls(loader);
            } catch (Throwable failure) {
                Log.debug("OkHttp's calls are prepared on their first use: " + failure);
            }
        }
    }

    private static void load(ClassLoader loader) {
        try {
            for (String name : List.of(EXCHANGE, HTTP1, HTTP2)) {
                Class<?> type = Class.forName(name.replace('/', '.'), false, loader);
                if ((rewritten(loader) & bit(name)) == 0 && instrumentation.isModifiableClass(type)) {
                    instrumentation.retransformClasses(type);
                }
            }
            if (rewritten(loader) != ALL_DONE) {
                decided(loader, false, "tagged OkHttp attempts stay copies: its codec classes are not as expected");
                return;
            }
            decided(loader, true, "OkHttp's codecs write the tags of a call's first attempt");
        } catch (Throwable unavailable) {
            decided(loader, false, "tagged OkHttp attempts stay copies: " + unavailable);
        }
    }

    private static void decided(ClassLoader loader, boolean ready, String why) {
        synchronized (REWRITTEN) {
            PREPARED.put(loader, ready);
        }
        Log.debug(why);
    }

    private static int rewritten(ClassLoader loader) {
        synchronized (REWRITTEN) {
            return REWRITTEN.getOrDefault(loader, 0);
        }
    }

    /**
     * Whether the codecs of the OkHttp in {@code loader} write an attempt's tags: {@code null} while
     * that is not known yet ({@link #prepare} not called or not done), then for good.
     */
    public static Boolean ready(ClassLoader loader) {
        synchronized (REWRITTEN) {
            return PREPARED.get(loader);
        }
    }

    /**
     * Whether the codecs may write a tag of this name: not a header OkHttp sets or treats apart,
     * plain visible ASCII. (A tag the application's request has already, its own request id,
     * stays on a copy, which replaces it as before.) Its value is the engine's, plain text already.
     */
    public static boolean writable(String name) {
        return WRITABLE.writable(name);
    }

    /**
     * The codecs write {@code tags} for {@code call} on this thread until {@link #end}; returns what
     * to restore then (an attempt of another request this thread runs meanwhile).
     */
    public static Object begin(Object call, AttemptSpec tags, Wire wire) {
        Pending previous = PENDING.get();
        PENDING.set(new Pending(call, tags, wire));
        return previous;
    }

    public static void end(Object previous) {
        PENDING.set((Pending) previous);
    }

    /**
     * The codecs write {@code tags} for the enqueued {@code call} on whichever thread of OkHttp's
     * runs it, until {@link #dequeued}: to be called before the call is enqueued.
     */
    public static void enqueued(Object call, AttemptSpec tags, Wire wire) {
        QUEUED.put(call, new Pending(call, tags, wire));
    }

    /** The enqueued {@code call} ended (its callback is being told) or was never enqueued: it writes no more tags. */
    public static void dequeued(Object call) {
        QUEUED.remove(call);
    }

    /** An attempt's call and tags, registered on the thread that runs it or by its call. */
    private static final class Pending {
        final Object call;
        final AttemptSpec tags;
        final Wire wire;

        Pending(Object call, AttemptSpec tags, Wire wire) {
            this.call = call;
            this.tags = tags;
            this.wire = wire;
        }
    }

    /** What the rewritten codecs reach through the dispatcher. */
    private static final class Writer implements CodecTags {
        @Override
        public void exchange(Object call) {
            Pending pending = PENDING.get();
            if (pending == null || pending.call != call) {
                pending = QUEUED.isEmpty() ? null : QUEUED.get(call);
            }
            if (pending != null || ARMED.get() != null) {
                ARMED.set(pending);
            }
        }

        /** The attempt whose tags go with the header block written now, taken: none for the next. */
        private static Pending takeArmed() {
            Pending pending = ARMED.get();
            if (pending != null) {
                ARMED.set(null);
            }
            return pending;
        }

        @Override
        public void headerLines(Object sink, Object headers, String requestLine) {
            Pending pending = takeArmed();
            if (pending == null) {
                return;
            }
            if (requestLine.startsWith("CONNECT ")) {
                return; // a proxy tunnel's own request
            }
            AttemptSpec tags = pending.tags;
            Wire wire = pending.wire;
            int written = 0;
            for (int i = 0, n = tags.headerCount(); i < n; i++) {
                if (wire.has(headers, tags.headerName(i))) {
                    written |= 1 << i;
                }
            }
            wire.write(sink, tags, written);
        }

        @Override
        @SuppressWarnings("unchecked")
        public void headerList(Object headerList, Object request) {
            Pending pending = takeArmed();
            if (pending == null) {
                return;
            }
            AttemptSpec tags = pending.tags;
            for (int i = 0, n = tags.headerCount(); i < n; i++) {
                String name = tags.headerName(i);
                if (!pending.wire.requestHas(request, name)) {
                    ((List<Object>) headerList).add(
                            pending.wire.http2Header(name.toLowerCase(Locale.ROOT), tags.headerValue(i)));
                }
            }
        }
    }

    /**
     * What the writer does with one OkHttp's own types: implemented by the adapter compiled
     * against OkHttp, in that OkHttp's loader, so that its calls are plain calls.
     */
    public interface Wire {
        /** Whether {@code headers} (OkHttp's {@code Headers}) has one named {@code name}. */
        boolean has(Object headers, String name);

        /** Whether {@code request} (OkHttp's {@code Request}) has a header named {@code name}. */
        boolean requestHas(Object request, String name);

        /**
         * Writes the tags to {@code sink}, okio's {@code BufferedSink}, as header lines ({@code
         * name: value} and CRLF each, plain ASCII): all but those whose bit {@code i} is set in
         * {@code leftOut}.
         */
        void write(Object sink, AttemptSpec tags, int leftOut);

        /** OkHttp's HTTP/2 header, of a lower-case name. */
        Object http2Header(String name, String value);
    }

    private static int bit(String className) {
        switch (className) {
            case EXCHANGE:
                return EXCHANGE_DONE;
            case HTTP1:
                return HTTP1_DONE;
            case HTTP2:
                return HTTP2_DONE;
            default:
                return 0;
        }
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        int part = className == null || loader == null ? 0 : bit(className);
        if (part == 0) {
            if (classBeingRedefined == null && loader != null && CLIENT.equals(className)) {
                prepare(loader);
            }
            return null;
        }
        try {
            byte[] result = rewrite(className, classfileBuffer);
            if (result != null) {
                synchronized (REWRITTEN) {
                    REWRITTEN.merge(loader, part, (was, added) -> was | added);
                }
            }
            return result;
        } catch (Throwable failure) {
            Log.debug("OkHttp's " + className + " could not be rewritten: " + failure);
            return null;
        }
    }

    /** The class with its instructions added, or {@code null} when it is not as expected ({@link CodecRewrite}). */
    static byte[] rewrite(String className, byte[] classFile) {
        return CodecRewrite.apply(className, classFile);
    }
}
