package io.tailguard.agent.instrumentation.apache5.adapter;

import io.tailguard.agent.engine.AttemptSpec;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ProtocolVersion;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Each attempt runs in a context of its own, so that two attempts in flight never write the same
 * route, response or auth exchange. It reads the application's context through (its own
 * attributes), starts from the application's cookie store, credentials, auth cache, request
 * config and user token (typed fields since 5.4, so they are copied), and afterwards the winning
 * attempt's results are copied back, as if the application's call had run alone.
 */
final class AttemptContexts {

    /** Holds the attempt's {@link AttemptSpec}: whether the client's own status retry stands aside. */
    static final String ATTEMPT = "io.tailguard.attempt";
    /** Set on an attempt's context to the async exchange running in it, which the context keeps. */
    private static final String EXCHANGE = "io.tailguard.exchange";

    private AttemptContexts() {
    }

    /**
     * Whether the client's own status retry must stand aside for a response in this context: only
     * when it is the context of an attempt whose status the engine retries itself. Anywhere else
     * (requests the engine will not retry, statuses its policy does not list, contexts that are
     * not an attempt's) the client retries as it would without the agent.
     */
    static boolean engineRetries(HttpContext context, int status) {
        Object spec = context == null ? null : context.getAttribute(ATTEMPT);
        return spec instanceof AttemptSpec && ((AttemptSpec) spec).engineRetriesStatus(status);
    }

    /**
     * An exchange starts on its connection (the exec runtime's {@code execute}): an attempt's
     * context keeps it, the last one of a redirect or of the client's own retry, so that cancelling
     * the attempt can abort it. Any other context: nothing. The context is told through its
     * attributes, not its class, which holds wherever the two hooked classes were loaded: the
     * runtime's hook reaches the copy of this package made for the runtime's class loader.
     */
    static void exchangeStarts(HttpContext context, AsyncClientExchangeHandler exchange) {
        if (context != null && context.getAttribute(ATTEMPT) instanceof AttemptSpec) {
            context.setAttribute(EXCHANGE, exchange);
        }
    }

    /**
     * Aborts the exchange of a cancelled attempt, as the client's cancel handle would (its hard
     * cancellation): the exchange fails, and its connection is closed and leaves the pool. Only an
     * exchange whose request went out over HTTP/1.x, whose connection is its own: an HTTP/2
     * connection may carry other exchanges (the pool's message multiplexing), the winner's
     * among them, and the client's abort would close it under them; such a loser, or one whose
     * request has not gone out yet, is left to finish as the client leaves it. Does nothing once
     * the exchange has ended, or before it started (cancelling the attempt's future stops it then).
     */
    static void abortExchange(HttpClientContext attempt) {
        if (!(attempt instanceof AttemptContext)) {
            return;
        }
        AttemptContext context = (AttemptContext) attempt;
        AsyncClientExchangeHandler exchange = context.exchange;
        ProtocolVersion sentOver = context.sentOver;
        if (exchange != null && sentOver != null && sentOver.getMajor() < 2) {
            exchange.cancel();
        }
    }

    /**
     * Whether the attempt's request has started on a connection: its exchange started there (the
     * exec runtime's {@code execute}, which the minimal client does not call), or the connection
     * committed its request (HttpCore's HTTP/1.1 and HTTP/2 stream handlers set the protocol
     * version in the context as they do, checked with javap on HttpCore 5.1.3 and 5.4.4). Until
     * then it waits for a connection, and has not left. (Its producer cannot tell: the client asks
     * it for its request before it asks the pool for a connection.) True for any other context.
     */
    static boolean requestStarted(HttpClientContext attempt) {
        if (!(attempt instanceof AttemptContext)) {
            return true;
        }
        AttemptContext context = (AttemptContext) attempt;
        return context.exchange != null || context.sentOver != null;
    }

    static HttpClientContext create(HttpContext application, AttemptSpec spec) {
        HttpClientContext attempt;
        if (application == null) {
            attempt = new AttemptContext(spec);
        } else {
            attempt = new AttemptContext(application, spec);
            HttpClientContext app = HttpClientContext.cast(application);
            attempt.setCookieStore(app.getCookieStore());
            attempt.setCredentialsProvider(app.getCredentialsProvider());
            attempt.setAuthCache(app.getAuthCache());
            attempt.setRequestConfig(app.getRequestConfig());
            attempt.setUserToken(app.getUserToken());
            attempt.setCookieSpecRegistry(app.getCookieSpecRegistry());
            attempt.setAuthSchemeRegistry(app.getAuthSchemeRegistry());
            attempt.getAuthExchanges().putAll(app.getAuthExchanges());
        }
        return attempt;
    }

    /**
     * An attempt's context, which answers {@link #ATTEMPT} itself: setting it as an attribute
     * would make the context's attribute map (160 B per attempt), which the client itself (5.4 and
     * later keep their own values in fields) leaves unmade. A context the client wraps around it
     * still finds the attempt, through its parent.
     */
    private static final class AttemptContext extends HttpClientContext {
        private final AttemptSpec spec;
        /** The async client's exchange running in this context, once it started. */
        private volatile AsyncClientExchangeHandler exchange;
        /**
         * The protocol the exchange's request went out over, once it did: kept apart because the
         * context's own {@code getProtocolVersion()} answers HTTP/1.1 before anything was sent.
         */
        private volatile ProtocolVersion sentOver;

        /** Without an application's context: 5.1's would hand every attribute to a {@code null} parent. */
        AttemptContext(AttemptSpec spec) {
            this.spec = spec;
        }

        /** Reads the application's context through. */
        AttemptContext(HttpContext application, AttemptSpec spec) {
            super(application);
            this.spec = spec;
        }

        @Override
        public Object getAttribute(String id) {
            return ATTEMPT.equals(id) ? spec : super.getAttribute(id);
        }

        /** The connection sets it as it sends the request (HttpCore 5's stream handlers). */
        @Override
        public void setProtocolVersion(ProtocolVersion version) {
            sentOver = version;
            super.setProtocolVersion(version);
        }

        @Override
        public Object setAttribute(String id, Object value) {
            if (EXCHANGE.equals(id) && value instanceof AsyncClientExchangeHandler) {
                // A new exchange (a redirect, the client's own retry) has sent nothing yet.
                sentOver = null;
                exchange = (AsyncClientExchangeHandler) value;
                return null;
            }
            return super.setAttribute(id, value);
        }
    }

    static void reportBack(HttpClientContext winner, HttpContext application) {
        if (application == null) {
            return;
        }
        try {
            HttpClientContext app = HttpClientContext.cast(application);
            if (winner.getHttpRoute() instanceof HttpRoute) {
                app.setRoute((HttpRoute) winner.getHttpRoute());
            }
            app.setRedirectLocations(winner.getRedirectLocations());
            app.setCookieSpec(winner.getCookieSpec());
            app.setCookieOrigin(winner.getCookieOrigin());
            app.setUserToken(winner.getUserToken());
            app.getAuthExchanges().putAll(winner.getAuthExchanges());
            app.setRequest(winner.getRequest());
            app.setResponse(winner.getResponse());
            app.setEndpointDetails(winner.getEndpointDetails());
            app.setSSLSession(winner.getSSLSession());
            app.setProtocolVersion(winner.getProtocolVersion());
            app.setExchangeId(winner.getExchangeId());
        } catch (RuntimeException unusualContext) {
            // A context of the application's own making refused a value: the response matters
            // more than these details, so it is returned all the same.
        }
    }
}
