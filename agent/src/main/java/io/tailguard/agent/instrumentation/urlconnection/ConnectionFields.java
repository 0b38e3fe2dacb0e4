package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.AttemptSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import java.net.URLConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The state of the JDK's {@code sun.net.www.protocol.http.HttpURLConnection} that running its
 * exchange again on the same object touches. The JDK re-runs the exchange on one object itself
 * (a redirect, an authentication challenge, a stale keep-alive connection): it closes the old
 * response, clears the response state and sends the request headers again. An attempt here does
 * the same, and also puts the request back as the application left it (a redirect may have
 * changed its URL, method, headers and body), so every attempt sends the application's request.
 *
 * <p>The classes are in {@code java.base} packages that are not exported; the agent opens them to
 * itself when it installs. The members are the JDK's private implementation, the same on the
 * JDK 17 and 25 the tests run on: its fields as {@code VarHandle}s (those an exchange reads and
 * writes, {@link Handles}; those a hedge copies, {@link Copies}, at the first hedge), its methods
 * and constructors by reflection. Resolved once: when any member is missing (another JDK's
 * implementation), {@link #get} is {@code null} and connections pass through untouched.
 */
final class ConnectionFields {

    static final String IMPLEMENTATION = "sun.net.www.protocol.http.HttpURLConnection";
    static final String HTTPS_DELEGATE = "sun.net.www.protocol.https.DelegateHttpsURLConnection";

    /** The arguments of the no-argument methods called reflectively: one array for every call. */
    static final Object[] NO_ARGUMENTS = {};

    private static volatile ConnectionFields instance;
    private static volatile boolean unavailable;

    final Class<?> type;
    /** {@code getInputStream0}: the JDK's own exchange, for a subclass of its connection (see {@link #exchange}). */
    private final Method exchange;
    /** {@code getOutputStream0}: the JDK's own start of a request body. */
    final Method body;
    private final MessageHeaders headers;
    private final Method closeServer;
    /** {@code new HttpURLConnection(URL, Proxy, Handler)}. */
    private final Constructor<?> plainConnection;
    /** {@code new DelegateHttpsURLConnection(URL, Proxy, Handler, HttpsURLConnection)}, or {@code null}. */
    private final Constructor<?> httpsConnection;
    /** The delegate's {@code HttpsURLConnection}, whose SSL socket factory and hostname verifier it uses. */
    private final VarHandle httpsFacade;

    private ConnectionFields(Class<?> type) throws ReflectiveOperationException {
        this.type = type;
        // The first use of Handles resolves the fields, or throws (ExceptionInInitializerError).
        headers = MessageHeaders.of(Handles.HEADERS_TYPE);
        exchange = method(type, "getInputStream0");
        body = method(type, "getOutputStream0");
        closeServer = method(Handles.CLIENT_TYPE, "closeServer");
        Class<?> handlerType = Handles.HANDLER_TYPE;
        plainConnection = type.getDeclaredConstructor(URL.class, Proxy.class, handlerType);
        plainConnection.setAccessible(true);
        httpsConnection = httpsConstructor(type, handlerType);
        httpsFacade = httpsConnection == null ? null
                : new DeclaredFields(httpsConnection.getDeclaringClass()).handle("httpsURLConnection",
                        javax.net.ssl.HttpsURLConnection.class);
    }

    /** The HTTPS delegate's constructor, or {@code null} (HTTPS is then not hedged). */
    private static Constructor<?> httpsConstructor(Class<?> type, Class<?> handlerType) {
        try {
            Class<?> delegate = Class.forName(HTTPS_DELEGATE, false, type.getClassLoader());
            Constructor<?> c = delegate.getDeclaredConstructor(URL.class, Proxy.class, handlerType,
                    javax.net.ssl.HttpsURLConnection.class);
            c.setAccessible(true);
            return c;
        } catch (ReflectiveOperationException | RuntimeException e) {
            Log.debug("HTTPS HttpURLConnection requests are retried, not hedged: " + e);
            return null;
        }
    }

    /** The members, or {@code null} when this JDK's implementation does not have them. */
    static ConnectionFields get(Class<?> connectionType) {
        ConnectionFields fields = instance;
        if (fields != null || unavailable) {
            return fields;
        }
        synchronized (ConnectionFields.class) {
            if (instance == null && !unavailable) {
                Class<?> type = connectionType;
                while (type != null && !type.getName().equals(IMPLEMENTATION)) {
                    type = type.getSuperclass();
                }
                try {
                    if (type == null) {
                        return null;
                    }
                    instance = new ConnectionFields(type);
                } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                    // LinkageError: Handles' initialiser failed (ExceptionInInitializerError).
                    unavailable = true;
                    UrlConnectionInstrumentation.unavailable(e);
                }
            }
            return instance;
        }
    }

    /** The method, made accessible, declared by {@code owner} or a superclass of it. */
    static Method method(Class<?> owner, String name, Class<?>... parameters) throws NoSuchMethodException {
        Class<?> type = owner;
        while (type != null) {
            try {
                Method m = type.getDeclaredMethod(name, parameters);
                m.setAccessible(true);
                return m;
            } catch (NoSuchMethodException e) {
                type = type.getSuperclass();
            }
        }
        throw new NoSuchMethodException(owner.getName() + "." + name);
    }

    /** Whether the connection has not exchanged anything yet: no response, no remembered failure. */
    boolean fresh(HttpURLConnection c) {
        return Handles.REMEMBERED_EXCEPTION.get(c) == null && Handles.INPUT_STREAM.get(c) == null;
    }

    /**
     * Whether the application chose a streaming mode: its body goes to the socket once. The JDK's
     * own {@code streaming()} (JDK 8 to 25) reads these three fields; reading them here spares a
     * reflective call and its argument array on every exchange, matched or not.
     */
    boolean streaming(HttpURLConnection c) {
        return (int) Handles.FIXED_CONTENT_LENGTH.get(c) != -1 || (long) Handles.FIXED_CONTENT_LENGTH_LONG.get(c) != -1
                || (int) Handles.CHUNK_LENGTH.get(c) != -1;
    }

    /** The JDK's stream of a body sent as it is written, once it exists; {@code null} before. */
    OutputStream streamingOutput(HttpURLConnection c) {
        return (OutputStream) Handles.STREAMING_OUTPUT.get(c);
    }

    /** The length {@code setFixedLengthStreamingMode} announced, or {@code -1} (chunked, or no streaming mode). */
    long fixedLength(HttpURLConnection c) {
        long length = (long) Handles.FIXED_CONTENT_LENGTH_LONG.get(c);
        return length != -1 ? length : (int) Handles.FIXED_CONTENT_LENGTH.get(c);
    }

    /**
     * Whether the application's streaming body is being held (see {@link HeldBody}): a streaming
     * mode is set, the JDK's streaming stream was never made, and its buffer for a body is there.
     */
    boolean holdsBody(HttpURLConnection c) {
        return streaming(c) && Handles.STREAMING_OUTPUT.get(c) == null && Handles.POSTER.get(c) != null;
    }

    /** The JDK's buffer for a body sent whole ({@code PosterOutputStream}), or {@code null}. */
    ByteArrayOutputStream bodyBuffer(HttpURLConnection c) {
        return (ByteArrayOutputStream) Handles.POSTER.get(c);
    }

    void dropBodyBuffer(HttpURLConnection c) {
        Handles.POSTER.set(c, null);
    }

    /** Switches the streaming mode off, returning it for {@link #restoreStreamingMode}. */
    long[] clearStreamingMode(HttpURLConnection c) {
        long[] mode = {(int) Handles.CHUNK_LENGTH.get(c), (int) Handles.FIXED_CONTENT_LENGTH.get(c),
                (long) Handles.FIXED_CONTENT_LENGTH_LONG.get(c)};
        Handles.CHUNK_LENGTH.set(c, -1);
        Handles.FIXED_CONTENT_LENGTH.set(c, -1);
        Handles.FIXED_CONTENT_LENGTH_LONG.set(c, -1L);
        return mode;
    }

    void restoreStreamingMode(HttpURLConnection c, long[] mode) {
        Handles.CHUNK_LENGTH.set(c, (int) mode[0]);
        Handles.FIXED_CONTENT_LENGTH.set(c, (int) mode[1]);
        Handles.FIXED_CONTENT_LENGTH_LONG.set(c, mode[2]);
    }

    /** A header of the request as it stands on the connection, or {@code null}. */
    String liveRequestHeader(HttpURLConnection c, String name) {
        return headers.findValue(Handles.REQUESTS.get(c), name);
    }

    /**
     * Runs the JDK's exchange on the application's object, whose lock the application's own call
     * holds. On the JDK's own classes (plain, and the delegate behind HTTPS) through their public
     * {@code getInputStream}, which takes that lock again and does nothing but call
     * {@code getInputStream0} (checked on JDK 17 and 25), so that the JIT compiles the exchange as
     * it does for the application's own call: behind a reflective call it could not, and lost the
     * header writer's scalar-replaced buffers (0.6 KB per call in a JVM measured alone). A
     * subclass of the JDK's class may override that entry; its exchange is called by name.
     */
    InputStream exchange(HttpURLConnection c) throws IOException, ReflectiveOperationException {
        Class<?> own = c.getClass();
        if (own == type || (httpsConnection != null && own == httpsConnection.getDeclaringClass())) {
            return c.getInputStream();
        }
        try {
            return (InputStream) invoke(exchange, c, NO_ARGUMENTS);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException) {
                throw (IOException) e.getCause();
            }
            throw e;
        }
    }

    /** What the application set up before the exchange: restored before every attempt. */
    Request capture(HttpURLConnection c) {
        return new Request(headers.copy(Handles.REQUESTS.get(c)), (boolean) Handles.SET_REQUESTS.get(c),
                Handles.POSTER.get(c), (String) Handles.METHOD.get(c), (URL) Handles.CONNECTION_URL.get(c),
                Handles.USER_COOKIES.get(c), Handles.USER_COOKIES2.get(c));
    }

    /**
     * Lets go of the previous attempt's response (closing its stream returns a kept-alive
     * connection to the JDK's cache, or closes it), clears the response state and puts the
     * request back as the application left it, with {@code tags} set on it unless the connection's
     * header printing writes them ({@code tagsOnTheWire}, {@link HeaderLines}).
     */
    void reset(HttpURLConnection c, Request request, AttemptSpec tags, boolean first, boolean tagsOnTheWire) {
        if (first) {
            if (tagsOnTheWire) {
                return;
            }
            // Nothing was exchanged yet; a connection the application opened (getOutputStream
            // connects) is the one the JDK sends on. Its headers are still those captured (the
            // capture is a copy of them, kept for the attempts after this one), so the tags go
            // straight onto them rather than onto another copy.
            Object own = Handles.REQUESTS.get(c);
            for (int i = 0, n = tags.headerCount(); i < n; i++) {
                headers.set(own, tags.headerName(i), tags.headerValue(i));
            }
            return;
        }
        release(c);
        Handles.REMEMBERED_EXCEPTION.set(c, null);
        Handles.INPUT_STREAM.set(c, null);
        Handles.ERROR_STREAM.set(c, null);
        Handles.CACHED_HEADERS.set(c, null);
        Handles.FILTERED_HEADERS.set(c, null);
        Handles.HTTP.set(c, null);
        Handles.PS.set(c, null);
        Handles.CONNECTED.set(c, false);
        Handles.RESPONSE_CODE.set(c, -1);
        Handles.RESPONSE_MESSAGE.set(c, null);
        headers.reset(Handles.RESPONSES.get(c));
        Handles.FAILED_ONCE.set(c, false);
        Handles.REQUESTS.set(c, tagged(request, tags, tagsOnTheWire));
        Handles.SET_REQUESTS.set(c, request.headersWritten);
        Handles.POSTER.set(c, request.body);
        Handles.METHOD.set(c, request.method);
        Handles.CONNECTION_URL.set(c, request.url);
        // Computed from the connection's URL at the first write, and again after a redirect.
        Handles.REQUEST_URI.set(c, null);
        Handles.USER_COOKIES.set(c, request.userCookies);
        Handles.USER_COOKIES2.set(c, request.userCookies2);
    }

    private Object tagged(Request request, AttemptSpec tags, boolean tagsOnTheWire) {
        Object copy = headers.copy(request.headers);
        for (int i = 0, n = tagsOnTheWire ? 0 : tags.headerCount(); i < n; i++) {
            headers.set(copy, tags.headerName(i), tags.headerValue(i));
        }
        return copy;
    }

    /**
     * Closes what an attempt's response holds: the buffered error body or the response stream
     * (the JDK then keeps or closes the connection as it does when an application closes it), or
     * the connection itself when no response arrived on it.
     */
    private void release(HttpURLConnection c) {
        InputStream error = (InputStream) Handles.ERROR_STREAM.get(c);
        InputStream in = (InputStream) Handles.INPUT_STREAM.get(c);
        if (error != null || in != null) {
            closeQuietly(error);
            closeQuietly(in);
        } else {
            closeConnection(c);
        }
    }

    /** Closes the connection an attempt left without a response; never throws. */
    void closeConnection(HttpURLConnection c) {
        try {
            Object client = Handles.HTTP.get(c);
            if (client != null) {
                invoke(closeServer, client, NO_ARGUMENTS);
            }
        } catch (Throwable ignored) {
            // Nothing to close, or it is closed already.
        }
    }

    /**
     * Ends the exchange in progress, from another thread: closes its socket, so that the blocked
     * read or write fails. The JDK answers a connection that breaks before the response by
     * sending the request once more on a new one; marking the connection as having failed once
     * already keeps it from doing that for an attempt the engine has ended. Never throws.
     */
    void abort(HttpURLConnection c) {
        try {
            Object client = Handles.HTTP.get(c);
            Handles.FAILED_ONCE.set(c, true);
            if (client != null) {
                Handles.CLIENT_FAILED_ONCE.set(client, true);
                invoke(closeServer, client, NO_ARGUMENTS);
            }
        } catch (Throwable ignored) {
            // Nothing to close, or it is closed already.
        }
    }

    /** Whether a connection of this class can have a twin for a hedge: the JDK's plain one or its HTTPS delegate. */
    boolean canTwin(HttpURLConnection c) {
        return c.getClass() == type || httpsConnection != null && c.getClass() == httpsConnection.getDeclaringClass();
    }

    /**
     * A new connection of the JDK's own class for the application's request: the same URL and
     * proxy, every setting the application made (timeouts, redirects, caches, authenticator; for
     * HTTPS the application's own {@code HttpsURLConnection}, whose SSL socket factory and hostname
     * verifier the delegate asks for), and the request with {@code tags} set on it unless its header
     * printing writes them ({@code tagsOnTheWire}). It opens a connection of its own (or takes an
     * idle one from the JDK's keep-alive cache).
     */
    HttpURLConnection twin(HttpURLConnection c, Request request, AttemptSpec tags, boolean tagsOnTheWire)
            throws ReflectiveOperationException {
        Object proxy = Handles.INST_PROXY.get(c);
        HttpURLConnection twin = (HttpURLConnection) (c.getClass() == type
                ? plainConnection.newInstance(request.url, proxy, Handles.HANDLER.get(c))
                : httpsConnection.newInstance(request.url, proxy, Handles.HANDLER.get(c), httpsFacade.get(c)));
        for (Copied f : Copies.SETTINGS) {
            f.copy(c, twin);
        }
        headers.addAll(Handles.USER_HEADERS.get(twin), Handles.USER_HEADERS.get(c));
        Handles.REQUESTS.set(twin, tagged(request, tags, tagsOnTheWire));
        Handles.SET_REQUESTS.set(twin, request.headersWritten);
        Handles.POSTER.set(twin, request.body);
        Handles.METHOD.set(twin, request.method);
        Handles.USER_COOKIES.set(twin, request.userCookies);
        Handles.USER_COOKIES2.set(twin, request.userCookies2);
        return twin;
    }

    /**
     * Makes the application's connection the one {@code winner} exchanged on: whatever an earlier
     * attempt left on it is let go, then every field an exchange sets (the client and its socket,
     * status, headers, streams, the exception {@code getInputStream} rethrows, a redirect's URL and
     * method, authentication state) is moved over, so that every later call on the application's
     * object ({@code getHeaderFields}, {@code getErrorStream}, {@code disconnect}, ...) answers as
     * the winner would. The response stream is the JDK's inner class: closing it clears the
     * connection that made it, which is now the application's.
     */
    void adopt(HttpURLConnection c, HttpURLConnection winner) {
        release(c);
        for (Copied f : Copies.EXCHANGE_STATE) {
            f.copy(winner, c);
        }
        repointOuter(Handles.INPUT_STREAM.get(c), winner, c);
        repointOuter(Handles.CACHED_INPUT_STREAM.get(c), winner, c);
    }

    private void repointOuter(Object stream, Object from, Object to) {
        if (stream == null || stream.getClass().getEnclosingClass() != type) {
            return;
        }
        for (Field f : stream.getClass().getDeclaredFields()) {
            if (f.isSynthetic() && f.getType() == type) {
                try {
                    VarHandle outer = handleOf(f);
                    if (outer.get(stream) == from) {
                        outer.set(stream, to);
                    }
                } catch (ReflectiveOperationException | RuntimeException e) {
                    // Left pointing at the winner's twin: closing the stream still frees the
                    // socket; only disconnect() then closes an idle connection it need not.
                }
            }
        }
    }

    /** Lets go of whatever a connection nobody will use holds: its response, or its socket. */
    void releaseQuietly(HttpURLConnection c) {
        try {
            release(c);
        } catch (Throwable ignored) {
            // Nothing to close, or it is closed already.
        }
    }

    int responseCode(HttpURLConnection c) {
        return (int) Handles.RESPONSE_CODE.get(c);
    }

    InputStream errorStream(HttpURLConnection c) {
        return (InputStream) Handles.ERROR_STREAM.get(c);
    }

    /** A response header of the exchange that just ended, or {@code null}. */
    String responseHeader(HttpURLConnection c, String name) {
        return headers.findValue(Handles.RESPONSES.get(c), name);
    }

    /** A header of the request as the application set it, or {@code null}. */
    String requestHeader(Request request, String name) {
        return headers.findValue(request.headers, name);
    }
    static Object invoke(Method m, Object target, Object... args) throws ReflectiveOperationException {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        }
    }

    static void closeQuietly(InputStream in) {
        if (in == null) {
            return;
        }
        try {
            in.close();
        } catch (Throwable ignored) {
            // Closing a response nobody reads: its failure concerns nobody either.
        }
    }

    /** A field found by reflection, as a {@code VarHandle}. */
    private static VarHandle handleOf(Field f) throws IllegalAccessException {
        return MethodHandles.privateLookupIn(f.getDeclaringClass(), MethodHandles.lookup()).unreflectVarHandle(f);
    }

    /**
     * The fields a hedge copies ({@link #twin}, {@link #adopt}), made as the first hedge needs
     * them: an application that never hedges never makes them, and its first connection does not
     * wait for them.
     */
    private static final class Copies {
        /** What the application may set before the exchange, copied to a connection of its own for a hedge. */
        static final List<Copied> SETTINGS;
        /** What an exchange leaves on a connection: moved to the application's object when a hedge wins. */
        static final List<Copied> EXCHANGE_STATE;

        static {
            try {
                Class<?> type = Class.forName(IMPLEMENTATION, false, null);
                List<Copied> settings = new ArrayList<>();
                // java.net's settings (doInput, doOutput, useCaches, timeouts, instanceFollowRedirects,
                // ...) are every field of the two public classes but the response and the request state.
                for (Class<?> owner : List.of(URLConnection.class, HttpURLConnection.class)) {
                    for (Field f : owner.getDeclaredFields()) {
                        if (instanceState(f) && !List.of("connected", "responseCode", "responseMessage", "method",
                                "url", "requests").contains(f.getName())) {
                            settings.add(new Copied(f));
                        }
                    }
                }
                for (String name : List.of("connectTimeout", "readTimeout", "authenticator", "setUserCookies")) {
                    settings.add(new Copied(type.getDeclaredField(name)));
                }
                List<Copied> exchangeState = new ArrayList<>();
                for (Field f : type.getDeclaredFields()) {
                    if (instanceState(f)) {
                        exchangeState.add(new Copied(f));
                    }
                }
                exchangeState.add(new Copied(Handles.RESPONSE_CODE, int.class));
                exchangeState.add(new Copied(Handles.RESPONSE_MESSAGE, String.class));
                exchangeState.add(new Copied(Handles.METHOD, String.class));
                exchangeState.add(new Copied(Handles.CONNECTED, boolean.class));
                exchangeState.add(new Copied(Handles.CONNECTION_URL, URL.class));
                SETTINGS = List.copyOf(settings);
                EXCHANGE_STATE = List.copyOf(exchangeState);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(IMPLEMENTATION + ": " + e, e);
            }
        }

        private Copies() {
        }

        private static boolean instanceState(Field f) {
            return (f.getModifiers() & (Modifier.STATIC | Modifier.FINAL)) == 0 && !f.isSynthetic();
        }
    }

    /**
     * One field a hedge copies from a connection to another, through its {@code VarHandle}, read
     * and written as its own type, so that each read and write links to the JDK's ready-made guard
     * (the JDK's connections hold no field of another primitive type; one that did is refused).
     */
    private static final class Copied {
        private final VarHandle handle;
        private final Class<?> type;

        Copied(Field f) throws IllegalAccessException {
            this(handleOf(f), f.getType());
            if (type.isPrimitive() && type != int.class && type != long.class && type != boolean.class) {
                throw new IllegalArgumentException(f + ": a " + type + " field");
            }
        }

        /** One of {@link Handles}' fields, whose type is {@code type}. */
        Copied(VarHandle handle, Class<?> type) {
            this.handle = handle;
            this.type = type;
        }

        void copy(Object from, Object to) {
            if (type == int.class) {
                handle.set(to, (int) handle.get(from));
            } else if (type == long.class) {
                handle.set(to, (long) handle.get(from));
            } else if (type == boolean.class) {
                handle.set(to, (boolean) handle.get(from));
            } else {
                handle.set(to, handle.get(from));
            }
        }
    }

    /**
     * The connection's fields as {@code VarHandle}s, resolved once as the class initialises (on
     * the agent's thread that prepares the client), which throws when one is missing. A
     * {@code VarHandle} reads and writes a field without spinning code for it; since JDK 18 a
     * {@code Field}'s first {@code get} or {@code set} builds an accessor from method handles, some
     * 9 ms of the application's first connection on JDK 25 (measured). Every access names the
     * field's own primitive type, or a reference, so that each call site links once to the JDK's
     * ready-made guard; {@code static final}, so that the JIT reads the field directly.
     *
     * <p>Each field is looked up with the type JDK 17 and 25 declare it with, and only where that
     * fails (another JDK) with the type reflection reports: a class's first
     * {@code getDeclaredField} builds a {@code Field} for every field it declares (about a
     * millisecond for the connection's class), and on JDK 17 a first {@code VarHandle.varType()}
     * initialises the JDK's constant descriptors (about 2 ms), both on the thread the first
     * connection waits for.
     */
    private static final class Handles {
        static final VarHandle STREAMING_OUTPUT;
        static final VarHandle REMEMBERED_EXCEPTION;
        static final VarHandle INPUT_STREAM;
        static final VarHandle CACHED_INPUT_STREAM;
        static final VarHandle ERROR_STREAM;
        static final VarHandle CACHED_HEADERS;
        static final VarHandle FILTERED_HEADERS;
        static final VarHandle REQUESTS;
        static final VarHandle RESPONSES;
        static final VarHandle SET_REQUESTS;
        static final VarHandle USER_HEADERS;
        static final VarHandle POSTER;
        static final VarHandle HTTP;
        static final VarHandle PS;
        static final VarHandle FAILED_ONCE;
        static final VarHandle USER_COOKIES;
        static final VarHandle USER_COOKIES2;
        static final VarHandle REQUEST_URI;
        static final VarHandle HANDLER;
        static final VarHandle INST_PROXY;
        /** {@code java.net.HttpURLConnection}'s. */
        static final VarHandle CHUNK_LENGTH;
        static final VarHandle FIXED_CONTENT_LENGTH;
        static final VarHandle FIXED_CONTENT_LENGTH_LONG;
        static final VarHandle RESPONSE_CODE;
        static final VarHandle RESPONSE_MESSAGE;
        static final VarHandle METHOD;
        /** {@code java.net.URLConnection}'s. */
        static final VarHandle CONNECTED;
        static final VarHandle CONNECTION_URL;
        /** {@code sun.net.www.http.HttpClient}'s: the connection's client, on its socket. */
        static final VarHandle CLIENT_FAILED_ONCE;
        /** The types of {@code requests}, {@code http} and {@code handler}, which the members beside these need. */
        static final Class<?> HEADERS_TYPE;
        static final Class<?> CLIENT_TYPE;
        static final Class<?> HANDLER_TYPE;

        static {
            try {
                Class<?> type = Class.forName(IMPLEMENTATION, false, null);
                Class<?> headers = DeclaredFields.jdk("sun.net.www.MessageHeader");
                Class<?> client = DeclaredFields.jdk("sun.net.www.http.HttpClient");
                Class<?> handler = DeclaredFields.jdk("sun.net.www.protocol.http.Handler");
                DeclaredFields own = new DeclaredFields(type);
                Class<?> streaming = DeclaredFields.jdk(IMPLEMENTATION + "$StreamingOutputStream");
                STREAMING_OUTPUT = own.handle("strOutputStream", streaming);
                REMEMBERED_EXCEPTION = own.handle("rememberedException", Exception.class);
                INPUT_STREAM = own.handle("inputStream", InputStream.class);
                CACHED_INPUT_STREAM = own.handle("cachedInputStream", InputStream.class);
                ERROR_STREAM = own.handle("errorStream", InputStream.class);
                CACHED_HEADERS = own.handle("cachedHeaders", headers);
                FILTERED_HEADERS = own.handle("filteredHeaders", Map.class);
                REQUESTS = own.handle("requests", headers);
                RESPONSES = own.handle("responses", headers);
                SET_REQUESTS = own.handle("setRequests", boolean.class);
                USER_HEADERS = own.handle("userHeaders", headers);
                POSTER = own.handle("poster", DeclaredFields.jdk("sun.net.www.http.PosterOutputStream"));
                HTTP = own.handle("http", client);
                PS = own.handle("ps", PrintStream.class);
                FAILED_ONCE = own.handle("failedOnce", boolean.class);
                USER_COOKIES = own.handle("userCookies", String.class);
                USER_COOKIES2 = own.handle("userCookies2", String.class);
                REQUEST_URI = own.handle("requestURI", String.class);
                HANDLER = own.handle("handler", handler);
                INST_PROXY = own.handle("instProxy", Proxy.class);
                DeclaredFields java = new DeclaredFields(HttpURLConnection.class);
                CHUNK_LENGTH = java.handle("chunkLength", int.class);
                FIXED_CONTENT_LENGTH = java.handle("fixedContentLength", int.class);
                FIXED_CONTENT_LENGTH_LONG = java.handle("fixedContentLengthLong", long.class);
                RESPONSE_CODE = java.handle("responseCode", int.class);
                RESPONSE_MESSAGE = java.handle("responseMessage", String.class);
                METHOD = java.handle("method", String.class);
                DeclaredFields net = new DeclaredFields(URLConnection.class);
                CONNECTED = net.handle("connected", boolean.class);
                CONNECTION_URL = net.handle("url", URL.class);
                // Where a field fell back, the types it names are read from the handles instead.
                HEADERS_TYPE = own.declaredOtherwise ? REQUESTS.varType() : headers;
                CLIENT_TYPE = own.declaredOtherwise ? HTTP.varType() : client;
                HANDLER_TYPE = own.declaredOtherwise ? HANDLER.varType() : handler;
                CLIENT_FAILED_ONCE = new DeclaredFields(CLIENT_TYPE).handle("failedOnce", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(IMPLEMENTATION + ": " + e, e);
            }
        }

        private Handles() {
        }
    }

    /**
     * The fields one class declares, as {@code VarHandle}s, each looked up with the type the JDK
     * declares it with: a lookup by name and type, which builds no {@code Field} for every field of
     * the class as reflection does. Where this JDK declares a field otherwise, or has no class of
     * the expected type, reflection gives the type instead.
     */
    static final class DeclaredFields {
        private final Class<?> owner;
        private final MethodHandles.Lookup lookup;
        /** Whether some field was found by reflection, its type not the one expected. */
        boolean declaredOtherwise;

        DeclaredFields(Class<?> owner) throws IllegalAccessException {
            this.owner = owner;
            this.lookup = MethodHandles.privateLookupIn(owner, MethodHandles.lookup());
        }

        /** The field {@code name}, looked up as of type {@code expected} ({@code null}: not known). */
        VarHandle handle(String name, Class<?> expected) throws ReflectiveOperationException {
            if (expected != null) {
                try {
                    return lookup.findVarHandle(owner, name, expected);
                } catch (NoSuchFieldException otherType) {
                    // Looked up again below, by its declared type.
                }
            }
            declaredOtherwise = true;
            return lookup.findVarHandle(owner, name, owner.getDeclaredField(name).getType());
        }

        /**
         * A class of the JDK's, loaded (as the connection's own code would load it) but not
         * initialised; {@code null} where this JDK has none of that name.
         */
        static Class<?> jdk(String name) {
            try {
                return Class.forName(name, false, null);
            } catch (ClassNotFoundException notThisJdk) {
                return null;
            }
        }
    }

    /** The application's request as it stood before the first attempt. */
    static final class Request {
        final Object headers;
        final boolean headersWritten;
        final Object body;
        final String method;
        final URL url;
        final Object userCookies;
        final Object userCookies2;

        Request(Object headers, boolean headersWritten, Object body, String method, URL url, Object userCookies,
                Object userCookies2) {
            this.headers = headers;
            this.headersWritten = headersWritten;
            this.body = body;
            this.method = method;
            this.url = url;
            this.userCookies = userCookies;
            this.userCookies2 = userCookies2;
        }
    }
}
