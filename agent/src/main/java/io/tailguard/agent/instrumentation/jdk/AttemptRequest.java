package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.Log;
import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.instrumentation.TagNames;
import io.tailguard.bootstrap.WireTags;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * An attempt's request: the application's own, with the attempt's tagging headers and a timeout
 * of its own. The client never sends an {@code HttpRequest} as it is: {@code HttpClientImpl}
 * copies every request it is given into a {@code jdk.internal.net.http.HttpRequestImpl} (the
 * method, URI, timeout, {@code expectContinue}, body publisher and version through their getters,
 * the headers with {@code HttpHeaders.of(request.headers().map(), VALIDATE_USER_HEADER)}), the same
 * way for a request of ours as for one from {@code HttpRequest.newBuilder()} (checked on JDK 17
 * and 25; nothing else reads the request it was given). Redirects and authentication build their
 * requests from that copy, so they carry the tags as before. A copy of our own through the public
 * builder validated and sorted every header twice more before the client's copy; this request
 * hands the client a view over the application's headers and the tags instead, and the client's
 * own copy is the only one.
 *
 * <p>The application's headers are read when the client asks for them, during {@code send}: a
 * tracing agent that adds its context by instrumenting the JDK's own requests' {@code headers()}
 * (the OpenTelemetry agent) then sees the attempt's own call, on the thread that sends it.
 *
 * <p>What the builder would reject or merge is left to the builder ({@link #supports}): a tag name
 * the JDK restricts (a configured {@code Host}, say) then fails the copy, and the engine falls back
 * to the plain call, as before.
 */
class AttemptRequest extends HttpRequest {

    /** The package whose private {@code HttpHeaders} constructor {@link #headers()} uses. */
    static final String HEADERS_PACKAGE = "java.net.http";

    /**
     * {@code HttpHeaders}' private constructor, which takes the map as it is (checked on JDK 17
     * and 25; where it is missing, the headers are copied):
     * {@code HttpHeaders.of} would copy the view into a sorted map of its own, only for the client
     * to copy it again. {@code null} where the agent could not open the package.
     */
    private static final MethodHandle HEADERS;

    static {
        MethodHandle headers = null;
        try {
            headers = MethodHandles.privateLookupIn(HttpHeaders.class, MethodHandles.lookup())
                    .findConstructor(HttpHeaders.class, MethodType.methodType(void.class, Map.class));
        } catch (Throwable unavailable) {
            Log.debug("tagged JDK requests copy their headers with HttpHeaders.of: " + unavailable);
        }
        HEADERS = headers;
    }

    // Classes of their own, not lambdas, here and below: this class is initialised by the first
    // handled request, on the application's thread, where the agent spins no lambda class.
    private static final BiPredicate<String, String> ANY = new BiPredicate<String, String>() {
        @Override
        public boolean test(String name, String value) {
            return true;
        }
    };

    /** Tag names the JDK's builder accepts as they are. */
    private static final TagNames ACCEPTED = new TagNames(new Predicate<String>() {
        @Override
        public boolean test(String name) {
            return accepted(name);
        }
    });

    final HttpRequest original;
    final AttemptSpec tags;
    private final Optional<Duration> timeout;

    /**
     * @param tags the attempt, whose tagging headers replace the application's headers of the
     *     same names (see {@link #supports})
     */
    AttemptRequest(HttpRequest original, AttemptSpec tags, Optional<Duration> timeout) {
        this.original = original;
        this.tags = tags;
        this.timeout = timeout;
    }

    /**
     * Whether these tags can go out through this request with the same effect as through the
     * builder's {@code setHeader}: names the JDK accepts as user headers, none twice. Otherwise the
     * builder decides (it rejects, or the last value wins).
     */
    static boolean supports(AttemptSpec tags) {
        for (int i = 0, n = tags.headerCount(); i < n; i++) {
            String name = tags.headerName(i);
            if (!ACCEPTED.writable(name)) {
                return false;
            }
            for (int j = 0; j < i; j++) {
                if (name.equalsIgnoreCase(tags.headerName(j))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the JDK's builder takes this name as a user header (the same check the client makes). */
    private static boolean accepted(String name) {
        try {
            HttpRequest.newBuilder().setHeader(name, "0");
            return true;
        } catch (IllegalArgumentException rejected) {
            return false;
        }
    }

    @Override
    public HttpHeaders headers() {
        HttpHeaders own = original.headers();
        if (tags.headerCount() == 0) {
            return own;
        }
        TaggedHeaders view = new TaggedHeaders(own.map(), tags);
        if (HEADERS != null) {
            try {
                return (HttpHeaders) HEADERS.invokeExact((Map<?, ?>) view);
            } catch (Throwable unexpected) {
                // A constructor that only stores its argument; should it ever throw, copy instead.
            }
        }
        return HttpHeaders.of(view, ANY);
    }

    @Override
    public Optional<BodyPublisher> bodyPublisher() {
        return original.bodyPublisher();
    }

    @Override
    public String method() {
        return original.method();
    }

    @Override
    public Optional<Duration> timeout() {
        return timeout;
    }

    @Override
    public boolean expectContinue() {
        return original.expectContinue();
    }

    @Override
    public URI uri() {
        return original.uri();
    }

    @Override
    public Optional<HttpClient.Version> version() {
        return original.version();
    }

    @Override
    public String toString() {
        return original.toString();
    }

    /**
     * An attempt whose tags the client writes itself, with the request's header lines
     * ({@link WireTagging}): its headers are the application's, as they are; the client's copy of
     * it keeps the tags. Used only where the result on the wire is what the tags as headers would
     * give, in another place among the lines ({@link #fits}).
     */
    static final class OnTheWire extends AttemptRequest implements WireTags {

        /** Names the client does not treat apart from the others. */
        private static final TagNames WRITTEN_AS_ANY = new TagNames(new Predicate<String>() {
            @Override
            public boolean test(String name) {
                return !treatedApart(name);
            }
        });

        OnTheWire(HttpRequest original, AttemptSpec tags, Optional<Duration> timeout) {
            super(original, tags, timeout);
        }

        /**
         * Whether these tags can be written so: the client's header writing is rewritten, the
         * application set none of the tags' names itself (its own request id, kept, goes out as
         * its header), no name is one the client treats apart from the others (cookies, user
         * agent, credentials, proxy headers). {@link #supports} holds already: names the client
         * accepts, none twice. The values are the engine's, plain text, as the client would take
         * them (it validates those of a request it is given, not what it writes).
         */
        static boolean fits(HttpRequest original, AttemptSpec tags) {
            int count = tags.headerCount();
            if (count == 0 || !WireTagging.available()) {
                return false;
            }
            Map<String, List<String>> own = original.headers().map();
            for (int i = 0; i < count; i++) {
                String name = tags.headerName(i);
                if (!own.isEmpty() && own.containsKey(name) || !WRITTEN_AS_ANY.writable(name)) {
                    return false;
                }
            }
            return true;
        }

        private static boolean treatedApart(String name) {
            return name.regionMatches(true, 0, "proxy-", 0, 6) || name.equalsIgnoreCase("cookie")
                    || name.equalsIgnoreCase("cookie2") || name.equalsIgnoreCase("authorization")
                    || name.equalsIgnoreCase("user-agent");
        }

        @Override
        public HttpHeaders headers() {
            return original.headers();
        }

        @Override
        public void writeLines(StringBuilder block, Map<String, List<String>> written) {
            for (int i = 0, n = tags.headerCount(); i < n; i++) {
                String name = tags.headerName(i);
                if (written.isEmpty() || !written.containsKey(name)) {
                    block.append(name).append(": ").append(tags.headerValue(i)).append("\r\n");
                }
            }
        }

        @Override
        public void addTo(Object requestCopy) {
            Map<String, List<String>> headers;
            try {
                headers = WireTagging.systemHeaders(requestCopy);
            } catch (Throwable unexpected) {
                throw new IllegalStateException("the request copy's headers could not be read", unexpected);
            }
            for (int i = 0, n = tags.headerCount(); i < n; i++) {
                List<String> value = new ArrayList<>(1);
                value.add(tags.headerValue(i));
                headers.put(tags.headerName(i), value);
            }
        }
    }

    /**
     * The tags and the application's headers but those a tag replaces: an unmodifiable map,
     * case-insensitive like every {@code HttpHeaders} map. {@link #forEach}, the one way the
     * client reads it, makes nothing but the request id's one-value list (the client keeps such a
     * list as it is); the other methods, for anyone else who reads it, need not be as frugal.
     */
    static final class TaggedHeaders extends AbstractMap<String, List<String>> {
        /** The one-value lists of the values a tag takes again and again: attempt numbers, {@code true}, {@code false}. */
        private static final Map<String, List<String>> COMMON_VALUES = commonValues();

        private final Map<String, List<String>> own;
        private final AttemptSpec tags;

        TaggedHeaders(Map<String, List<String>> own, AttemptSpec tags) {
            this.own = own;
            this.tags = tags;
        }

        private static Map<String, List<String>> commonValues() {
            Map<String, List<String>> values = new HashMap<>();
            for (String value : List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "true", "false")) {
                values.put(value, List.of(value));
            }
            return values;
        }

        /** A tag's value as a header's: an unmodifiable list, shared for the values every request sends. */
        private static List<String> valueList(String value) {
            List<String> common = value.length() <= 5 ? COMMON_VALUES.get(value) : null;
            return common != null ? common : List.of(value);
        }

        private boolean tagged(String name) {
            for (int i = 0, n = tags.headerCount(); i < n; i++) {
                if (tags.headerName(i).equalsIgnoreCase(name)) {
                    return true;
                }
            }
            return false;
        }

        /** The tags first, so that the application's headers a tag replaces are known before they go. */
        @Override
        public void forEach(BiConsumer<? super String, ? super List<String>> action) {
            boolean replacesOwn = false;
            for (int i = 0, n = tags.headerCount(); i < n; i++) {
                String name = tags.headerName(i);
                action.accept(name, valueList(tags.headerValue(i)));
                // The application's map is case-insensitive, as every HttpHeaders map.
                replacesOwn |= !own.isEmpty() && own.containsKey(name);
            }
            if (!replacesOwn) {
                own.forEach(action);
                return;
            }
            for (Map.Entry<String, List<String>> header : own.entrySet()) {
                if (!tagged(header.getKey())) {
                    action.accept(header.getKey(), header.getValue());
                }
            }
        }

        @Override
        public List<String> get(Object name) {
            if (name instanceof String) {
                for (int i = 0, n = tags.headerCount(); i < n; i++) {
                    if (tags.headerName(i).equalsIgnoreCase((String) name)) {
                        return valueList(tags.headerValue(i));
                    }
                }
            }
            return own.get(name);
        }

        @Override
        public boolean containsKey(Object name) {
            return get(name) != null;
        }

        @Override
        public Set<Map.Entry<String, List<String>>> entrySet() {
            List<Map.Entry<String, List<String>>> entries = new ArrayList<>(own.size() + tags.headerCount());
            forEach((name, values) -> entries.add(new SimpleImmutableEntry<>(name, values)));
            // In the order of the JDK's own header maps.
            entries.sort(Map.Entry.comparingByKey(String.CASE_INSENSITIVE_ORDER));
            return new AbstractSet<Map.Entry<String, List<String>>>() {
                @Override
                public Iterator<Map.Entry<String, List<String>>> iterator() {
                    return Collections.unmodifiableList(entries).iterator();
                }

                @Override
                public int size() {
                    return entries.size();
                }
            };
        }
    }
}
