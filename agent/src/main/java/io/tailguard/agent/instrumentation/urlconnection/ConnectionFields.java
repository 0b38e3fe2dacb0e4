package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.AttemptSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * JDK 17 and 25 the tests run on. Resolved once: when any member is missing (another JDK's
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
    private final Field streamingOutput;
    private final Field chunkLength;
    private final Field fixedContentLength;
    private final Field fixedContentLengthLong;
    private final Field rememberedException;
    private final Field inputStream;
    private final Field errorStream;
    private final Field cachedHeaders;
    private final Field filteredHeaders;
    private final Field requests;
    private final Field responses;
    private final Field setRequests;
    private final Field poster;
    private final Field http;
    private final Field ps;
    private final Field failedOnce;
    private final Field userCookies;
    private final Field requestUri;
    private final Field userCookies2;
    private final Field responseCode;
    private final Field responseMessage;
    private final Field method;
    private final Field connected;
    private final Field url;
    private final MessageHeaders headers;
    private final Method closeServer;
    private final Field clientFailedOnce;
    private final Field handler;
    private final Field instProxy;
    private final Field userHeaders;
    private final Field cachedInputStream;
    /** {@code new HttpURLConnection(URL, Proxy, Handler)}. */
    private final Constructor<?> plainConnection;
    /** {@code new DelegateHttpsURLConnection(URL, Proxy, Handler, HttpsURLConnection)}, or {@code null}. */
    private final Constructor<?> httpsConnection;
    /** The delegate's {@code HttpsURLConnection}, whose SSL socket factory and hostname verifier it uses. */
    private final Field httpsFacade;
    /** What the application may set before the exchange, copied to a connection of its own for a hedge. */
    private final List<Field> settings;
    /** What an exchange leaves on a connection: moved to the application's object when a hedge wins. */
    private final List<Field> exchangeState;

    private ConnectionFields(Class<?> type) throws ReflectiveOperationException {
        this.type = type;
        exchange = method(type, "getInputStream0");
        body = method(type, "getOutputStream0");
        streamingOutput = field(type, "strOutputStream");
        chunkLength = field(HttpURLConnection.class, "chunkLength");
        fixedContentLength = field(HttpURLConnection.class, "fixedContentLength");
        fixedContentLengthLong = field(HttpURLConnection.class, "fixedContentLengthLong");
        rememberedException = field(type, "rememberedException");
        inputStream = field(type, "inputStream");
        errorStream = field(type, "errorStream");
        cachedHeaders = field(type, "cachedHeaders");
        filteredHeaders = field(type, "filteredHeaders");
        requests = field(type, "requests");
        responses = field(type, "responses");
        setRequests = field(type, "setRequests");
        poster = field(type, "poster");
        http = field(type, "http");
        ps = field(type, "ps");
        failedOnce = field(type, "failedOnce");
        userCookies = field(type, "userCookies");
        requestUri = field(type, "requestURI");
        userCookies2 = field(type, "userCookies2");
        responseCode = field(HttpURLConnection.class, "responseCode");
        responseMessage = field(HttpURLConnection.class, "responseMessage");
        method = field(HttpURLConnection.class, "method");
        connected = field(URLConnection.class, "connected");
        url = field(URLConnection.class, "url");
        headers = MessageHeaders.of(requests.getType());
        closeServer = method(http.getType(), "closeServer");
        clientFailedOnce = field(http.getType(), "failedOnce");
        handler = field(type, "handler");
        instProxy = field(type, "instProxy");
        userHeaders = field(type, "userHeaders");
        cachedInputStream = field(type, "cachedInputStream");
        plainConnection = type.getDeclaredConstructor(URL.class, Proxy.class, handler.getType());
        plainConnection.setAccessible(true);
        httpsConnection = httpsConstructor(type, handler.getType());
        httpsFacade = httpsConnection == null ? null : field(httpsConnection.getDeclaringClass(), "httpsURLConnection");
        settings = new ArrayList<>();
        // java.net's settings (doInput, doOutput, useCaches, timeouts, instanceFollowRedirects, ...)
        // are every field of the two public classes but the response and the request state.
        for (Class<?> owner : List.of(URLConnection.class, HttpURLConnection.class)) {
            for (Field f : owner.getDeclaredFields()) {
                if (instanceState(f) && !List.of("connected", "responseCode", "responseMessage", "method",
                        "url", "requests").contains(f.getName())) {
                    f.setAccessible(true);
                    settings.add(f);
                }
            }
        }
        for (String name : List.of("connectTimeout", "readTimeout", "authenticator", "setUserCookies")) {
            settings.add(field(type, name));
        }
        exchangeState = new ArrayList<>();
        for (Field f : type.getDeclaredFields()) {
            if (instanceState(f)) {
                f.setAccessible(true);
                exchangeState.add(f);
            }
        }
        exchangeState.addAll(List.of(responseCode, responseMessage, method, connected, url));
    }

    private static boolean instanceState(Field f) {
        return (f.getModifiers() & (Modifier.STATIC | Modifier.FINAL)) == 0 && !f.isSynthetic();
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
                } catch (ReflectiveOperationException | RuntimeException e) {
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

    /** The field {@code owner} declares, made accessible. */
    static Field field(Class<?> owner, String name) throws NoSuchFieldException {
        Field f = owner.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /** Whether the connection has not exchanged anything yet: no response, no remembered failure. */
    boolean fresh(HttpURLConnection c) throws IllegalAccessException {
        return rememberedException.get(c) == null && inputStream.get(c) == null;
    }

    /**
     * Whether the application chose a streaming mode: its body goes to the socket once. The JDK's
     * own {@code streaming()} (JDK 8 to 25) reads these three fields; reading them here spares a
     * reflective call and its argument array on every exchange, matched or not.
     */
    boolean streaming(HttpURLConnection c) throws ReflectiveOperationException {
        return fixedContentLength.getInt(c) != -1 || fixedContentLengthLong.getLong(c) != -1
                || chunkLength.getInt(c) != -1;
    }

    /** The JDK's stream of a body sent as it is written, once it exists; {@code null} before. */
    OutputStream streamingOutput(HttpURLConnection c) throws IllegalAccessException {
        return (OutputStream) streamingOutput.get(c);
    }

    /** The length {@code setFixedLengthStreamingMode} announced, or {@code -1} (chunked, or no streaming mode). */
    long fixedLength(HttpURLConnection c) throws IllegalAccessException {
        long length = fixedContentLengthLong.getLong(c);
        return length != -1 ? length : fixedContentLength.getInt(c);
    }

    /**
     * Whether the application's streaming body is being held (see {@link HeldBody}): a streaming
     * mode is set, the JDK's streaming stream was never made, and its buffer for a body is there.
     */
    boolean holdsBody(HttpURLConnection c) throws ReflectiveOperationException {
        return streaming(c) && streamingOutput.get(c) == null && poster.get(c) != null;
    }

    /** The JDK's buffer for a body sent whole ({@code PosterOutputStream}), or {@code null}. */
    ByteArrayOutputStream bodyBuffer(HttpURLConnection c) throws IllegalAccessException {
        return (ByteArrayOutputStream) poster.get(c);
    }

    void dropBodyBuffer(HttpURLConnection c) throws IllegalAccessException {
        poster.set(c, null);
    }

    /** Switches the streaming mode off, returning it for {@link #restoreStreamingMode}. */
    long[] clearStreamingMode(HttpURLConnection c) throws IllegalAccessException {
        long[] mode = {chunkLength.getInt(c), fixedContentLength.getInt(c), fixedContentLengthLong.getLong(c)};
        chunkLength.setInt(c, -1);
        fixedContentLength.setInt(c, -1);
        fixedContentLengthLong.setLong(c, -1);
        return mode;
    }

    void restoreStreamingMode(HttpURLConnection c, long[] mode) throws IllegalAccessException {
        chunkLength.setInt(c, (int) mode[0]);
        fixedContentLength.setInt(c, (int) mode[1]);
        fixedContentLengthLong.setLong(c, mode[2]);
    }

    /** A header of the request as it stands on the connection, or {@code null}. */
    String liveRequestHeader(HttpURLConnection c, String name) throws ReflectiveOperationException {
        return headers.findValue(requests.get(c), name);
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
    Request capture(HttpURLConnection c) throws ReflectiveOperationException {
        return new Request(headers.copy(requests.get(c)), (Boolean) setRequests.get(c), poster.get(c), (String) method.get(c),
                (URL) url.get(c), userCookies.get(c), userCookies2.get(c));
    }

    /**
     * Lets go of the previous attempt's response (closing its stream returns a kept-alive
     * connection to the JDK's cache, or closes it), clears the response state and puts the
     * request back as the application left it, with {@code tags} set on it unless the connection's
     * header printing writes them ({@code tagsOnTheWire}, {@link HeaderLines}).
     */
    void reset(HttpURLConnection c, Request request, AttemptSpec tags, boolean first, boolean tagsOnTheWire)
            throws ReflectiveOperationException {
        if (first) {
            if (tagsOnTheWire) {
                return;
            }
            // Nothing was exchanged yet; a connection the application opened (getOutputStream
            // connects) is the one the JDK sends on. Its headers are still those captured (the
            // capture is a copy of them, kept for the attempts after this one), so the tags go
            // straight onto them rather than onto another copy.
            Object own = requests.get(c);
            for (int i = 0, n = tags.headerCount(); i < n; i++) {
                headers.set(own, tags.headerName(i), tags.headerValue(i));
            }
            return;
        }
        release(c);
        rememberedException.set(c, null);
        inputStream.set(c, null);
        errorStream.set(c, null);
        cachedHeaders.set(c, null);
        filteredHeaders.set(c, null);
        http.set(c, null);
        ps.set(c, null);
        connected.setBoolean(c, false);
        responseCode.setInt(c, -1);
        responseMessage.set(c, null);
        headers.reset(responses.get(c));
        failedOnce.setBoolean(c, false);
        requests.set(c, tagged(request, tags, tagsOnTheWire));
        setRequests.setBoolean(c, request.headersWritten);
        poster.set(c, request.body);
        method.set(c, request.method);
        url.set(c, request.url);
        // Computed from the connection's URL at the first write, and again after a redirect.
        requestUri.set(c, null);
        userCookies.set(c, request.userCookies);
        userCookies2.set(c, request.userCookies2);
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
    private void release(HttpURLConnection c) throws ReflectiveOperationException {
        InputStream error = (InputStream) errorStream.get(c);
        InputStream in = (InputStream) inputStream.get(c);
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
            Object client = http.get(c);
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
            Object client = http.get(c);
            failedOnce.setBoolean(c, true);
            if (client != null) {
                clientFailedOnce.setBoolean(client, true);
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
        Object proxy = instProxy.get(c);
        HttpURLConnection twin = (HttpURLConnection) (c.getClass() == type
                ? plainConnection.newInstance(request.url, proxy, handler.get(c))
                : httpsConnection.newInstance(request.url, proxy, handler.get(c), httpsFacade.get(c)));
        for (Field f : settings) {
            f.set(twin, f.get(c));
        }
        headers.addAll(userHeaders.get(twin), userHeaders.get(c));
        requests.set(twin, tagged(request, tags, tagsOnTheWire));
        setRequests.setBoolean(twin, request.headersWritten);
        poster.set(twin, request.body);
        method.set(twin, request.method);
        userCookies.set(twin, request.userCookies);
        userCookies2.set(twin, request.userCookies2);
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
    void adopt(HttpURLConnection c, HttpURLConnection winner) throws ReflectiveOperationException {
        release(c);
        for (Field f : exchangeState) {
            f.set(c, f.get(winner));
        }
        repointOuter(inputStream.get(c), winner, c);
        repointOuter(cachedInputStream.get(c), winner, c);
    }

    private void repointOuter(Object stream, Object from, Object to) {
        if (stream == null || stream.getClass().getEnclosingClass() != type) {
            return;
        }
        for (Field f : stream.getClass().getDeclaredFields()) {
            if (f.isSynthetic() && f.getType() == type) {
                try {
                    f.setAccessible(true);
                    if (f.get(stream) == from) {
                        f.set(stream, to);
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

    int responseCode(HttpURLConnection c) throws IllegalAccessException {
        return responseCode.getInt(c);
    }

    InputStream errorStream(HttpURLConnection c) throws IllegalAccessException {
        return (InputStream) errorStream.get(c);
    }

    /** A response header of the exchange that just ended, or {@code null}. */
    String responseHeader(HttpURLConnection c, String name) throws ReflectiveOperationException {
        return headers.findValue(responses.get(c), name);
    }

    /** A header of the request as the application set it, or {@code null}. */
    String requestHeader(Request request, String name) throws ReflectiveOperationException {
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
