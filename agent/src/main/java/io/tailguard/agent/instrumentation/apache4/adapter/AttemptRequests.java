package io.tailguard.agent.instrumentation.apache4.adapter;

import java.net.URI;
import io.tailguard.agent.engine.AttemptSpec;
import org.apache.http.HttpEntityEnclosingRequest;
import org.apache.http.HttpRequest;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.HttpEntityEnclosingRequestBase;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.client.methods.HttpUriRequest;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.protocol.HttpContext;
import org.apache.http.protocol.HttpCoreContext;

/**
 * An attempt's own copy of the application's request. Not {@code clone()}, which is shallow and
 * shares the abort handle, and not {@code RequestBuilder.copy}, which in 4.5.14 parses an
 * {@code application/x-www-form-urlencoded} entity into parameters and encodes them again (a
 * different body on the wire, and a streamed form entity consumed by the parsing). The copy keeps
 * the entity object itself: a repeatable entity writes the same bytes for every attempt, and a
 * non-repeatable one is only ever sent once because the engine never repeats such a request.
 * A request without an entity stays a non-entity request, which the client's own I/O retry
 * treats as idempotent exactly as it treated the application's request.
 */
public final class AttemptRequests {

    /** What the client leaves in a context, copied from the winning attempt's to the application's. */
    private static final String[] RESULTS = {
        HttpClientContext.HTTP_ROUTE, HttpClientContext.REDIRECT_LOCATIONS, HttpClientContext.COOKIE_SPEC,
        HttpClientContext.COOKIE_ORIGIN, HttpClientContext.USER_TOKEN, HttpClientContext.TARGET_AUTH_STATE,
        HttpClientContext.PROXY_AUTH_STATE, HttpClientContext.AUTH_CACHE, HttpCoreContext.HTTP_CONNECTION,
        HttpCoreContext.HTTP_REQUEST, HttpCoreContext.HTTP_RESPONSE, HttpCoreContext.HTTP_REQ_SENT,
        HttpCoreContext.HTTP_TARGET_HOST};

    private AttemptRequests() {
    }

    /**
     * Copies what the client left in the winning attempt's context (route, redirect locations, user
     * token, ...) to the application's, as if the application's call had run alone. A context of the
     * application's own making that refuses a value is left as it is: the response matters more.
     */
    public static void reportResults(HttpContext winner, HttpContext application) {
        if (application == null) {
            return;
        }
        try {
            for (String name : RESULTS) {
                Object value = winner.getAttribute(name);
                if (value != null) {
                    application.setAttribute(name, value);
                }
            }
        } catch (RuntimeException unusualContext) {
            // Refused by an unusual context: the details are lost, the response is not.
        }
    }

    /**
     * The request's method. {@code getRequestLine()} of an {@code HttpUriRequest} (every request
     * made with the client's API) makes a new request line from its method, URI and version at each
     * call; its {@code getMethod()} is the same method without that.
     */
    public static String method(HttpRequest request) {
        return request instanceof HttpUriRequest ? ((HttpUriRequest) request).getMethod()
                : request.getRequestLine().getMethod();
    }

    @SuppressWarnings("deprecation")
    public static HttpRequestBase copy(HttpRequest original, AttemptSpec spec, RequestConfig config) {
        String method = method(original);
        HttpRequestBase copy;
        if (original instanceof HttpEntityEnclosingRequest) {
            WithEntity withEntity = new WithEntity(method);
            withEntity.setEntity(((HttpEntityEnclosingRequest) original).getEntity());
            copy = withEntity;
        } else {
            copy = new WithoutEntity(method);
        }
        // The request line's version, without making the line: what getRequestLine() puts in it.
        copy.setProtocolVersion(original.getProtocolVersion());
        copy.setURI(original instanceof HttpUriRequest ? ((HttpUriRequest) original).getURI()
                : URI.create(original.getRequestLine().getUri()));
        copy.setHeaders(original.getAllHeaders());
        for (int i = 0, n = spec.headerCount(); i < n; i++) {
            copy.setHeader(spec.headerName(i), spec.headerValue(i));
        }
        // Per-request HttpParams are the pre-4.3 way to configure a request; the client still reads them.
        copy.setParams(original.getParams());
        copy.setConfig(config);
        return copy;
    }

    private static final class WithoutEntity extends HttpRequestBase {
        private final String method;

        WithoutEntity(String method) {
            this.method = method;
        }

        @Override
        public String getMethod() {
            return method;
        }
    }

    private static final class WithEntity extends HttpEntityEnclosingRequestBase {
        private final String method;

        WithEntity(String method) {
            this.method = method;
        }

        @Override
        public String getMethod() {
            return method;
        }
    }
}
