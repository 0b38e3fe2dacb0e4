package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.DaemonThreads;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * {@code java.net.HttpURLConnection} as {@code URL.openConnection()} hands it out for {@code http}
 * and {@code https}: the JDK's {@code sun.net.www.protocol.http.HttpURLConnection}, and for HTTPS
 * the {@code DelegateHttpsURLConnection} (a subclass) that the application's
 * {@code HttpsURLConnection} forwards every call to. One private method makes the exchange for
 * both; another is where a request body starts, so that a streamed body can be held for a request
 * that may be sent again. The agent opens the {@code java.base} packages the adapter reads to itself when it installs
 * (see {@link #OPENED_PACKAGES}).
 */
public final class UrlConnectionInstrumentation implements ClientInstrumentation {

    public static final String NAME = "urlconnection";

    /** The {@code java.base} packages whose members the adapter uses: the connections, their headers, their socket. */
    public static final List<String> OPENED_PACKAGES =
            List.of("java.net", "sun.net", "sun.net.www", "sun.net.www.http", "sun.net.www.protocol.http",
                    "sun.net.www.protocol.https");

    private static final String CONNECTION = "sun/net/www/protocol/http/HttpURLConnection";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Hook> hooks() {
        return List.of(new Hook(CONNECTION, "getInputStream0", "()Ljava/io/InputStream;",
                        Dispatcher.URLCONNECTION_EXCHANGE),
                new Hook(CONNECTION, "getOutputStream0", "()Ljava/io/OutputStream;", Dispatcher.URLCONNECTION_BODY));
    }

    /**
     * Installs the interceptors as the JDK's connection class is first defined, before the
     * application's first connection, and prepares on a thread of the agent's what that connection
     * would otherwise wait for on the application's thread: the access to the JDK's connection
     * ({@link ConnectionFields}: the lookups of its fields, as {@code VarHandle}s, and of its
     * methods, some 5 ms of processor time as a small application starts), then the header class:
     * loaded where it is not yet (rewritten as it is defined), retransformed where it was loaded
     * without the rewrite ({@link HeaderLines#rewriteHeaderClass}).
     */
    @Override
    public void install(Engine engine) {
        Dispatcher.install(Dispatcher.URLCONNECTION_EXCHANGE, new UrlConnectionInterceptor(engine));
        Dispatcher.install(Dispatcher.URLCONNECTION_BODY, new UrlConnectionBodyInterceptor(engine));
        boolean rewrite = HeaderLines.prepare();
        DaemonThreads.named("tailguard-urlconnection").newThread(new Prepare(rewrite)).start();
    }

    /** What {@link #install} prepares on the agent's thread. */
    private static final class Prepare implements Runnable {
        private final boolean rewriteHeaders;

        Prepare(boolean rewriteHeaders) {
            this.rewriteHeaders = rewriteHeaders;
        }

        @Override
        public void run() {
            try {
                // Waits, if need be, for the application's thread to finish defining the class.
                ConnectionFields.get(Class.forName(ConnectionFields.IMPLEMENTATION, false, null));
            } catch (Throwable failure) {
                // Not this JDK's connection class: the application's first connection finds out
                // again, and its requests pass through.
            }
            if (rewriteHeaders) {
                HeaderLines.rewriteHeaderClass();
            }
        }
    }

    static void unavailable(Throwable failure) {
        Log.warn("HttpURLConnection: this JDK's implementation is not the one Tailguard knows; its requests "
                + "pass through untouched", failure);
    }
}
