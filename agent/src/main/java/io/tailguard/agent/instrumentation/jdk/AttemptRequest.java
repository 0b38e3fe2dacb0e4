package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.Log;
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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;

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
final class AttemptRequest extends HttpRequest {

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

    private static final BiPredicate<String, String> ANY = (name, value) -> true;

    /** Tag names the JDK's builder accepts as they are; a few configured names, so kept. */
    private static final Map<String, Boolean> ACCEPTED_NAMES = new ConcurrentHashMap<>();
    private static final int MAX_REMEMBERED_NAMES = 64;

    private final HttpRequest original;
    private final Map<String, String> tags;
    private final Optional<Duration> timeout;

    /**
     * @param tags the tagging headers, which replace the application's headers of the same names
     *     (see {@link #supports})
     */
    AttemptRequest(HttpRequest original, Map<String, String> tags, Optional<Duration> timeout) {
        this.original = original;
        this.tags = tags;
        this.timeout = timeout;
    }

    /**
     * Whether these tags can go out through this request with the same effect as through the
     * builder's {@code setHeader}: names the JDK accepts as user headers, none twice. Otherwise the
     * builder decides (it rejects, or the last value wins).
     */
    static boolean supports(Map<String, String> tags) {
        NameCheck check = new NameCheck();
        tags.forEach(check);
        return check.supported;
    }

    /**
     * Checks the names as they come, remembering the first few to find one given twice: fields
     * rather than an array, so that the JIT can do without the object altogether. More names than
     * it remembers (the engine adds four at most) are left to the builder.
     */
    private static final class NameCheck implements BiConsumer<String, String> {
        private String first;
        private String second;
        private String third;
        private String fourth;
        boolean supported = true;

        @Override
        public void accept(String name, String value) {
            if (!supported) {
                return;
            }
            if (fourth != null || !accepted(name) || name.equalsIgnoreCase(first) || name.equalsIgnoreCase(second)
                    || name.equalsIgnoreCase(third)) {
                supported = false;
            } else if (first == null) {
                first = name;
            } else if (second == null) {
                second = name;
            } else if (third == null) {
                third = name;
            } else {
                fourth = name;
            }
        }
    }

    /** Whether the JDK's builder takes this name as a user header (the same check the client makes). */
    private static boolean accepted(String name) {
        Boolean known = ACCEPTED_NAMES.get(name);
        if (known != null) {
            return known;
        }
        boolean accepted;
        try {
            HttpRequest.newBuilder().setHeader(name, "0");
            accepted = true;
        } catch (IllegalArgumentException rejected) {
            accepted = false;
        }
        if (ACCEPTED_NAMES.size() < MAX_REMEMBERED_NAMES) {
            ACCEPTED_NAMES.put(name, accepted);
        }
        return accepted;
    }

    @Override
    public HttpHeaders headers() {
        HttpHeaders own = original.headers();
        if (tags.isEmpty()) {
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
     * The tags and the application's headers but those a tag replaces: an unmodifiable map,
     * case-insensitive like every {@code HttpHeaders} map. {@link #forEach}, the one way the
     * client reads it, makes little more than each tag's one-value list; the other methods, for
     * anyone else who reads it, need not be as frugal.
     */
    static final class TaggedHeaders extends AbstractMap<String, List<String>> {
        private final Map<String, List<String>> own;
        private final Map<String, String> tags;

        TaggedHeaders(Map<String, List<String>> own, Map<String, String> tags) {
            this.own = own;
            this.tags = tags;
        }

        private boolean tagged(String name) {
            for (String tag : tags.keySet()) {
                if (tag.equalsIgnoreCase(name)) {
                    return true;
                }
            }
            return false;
        }

        /** The tags first, so that the application's headers a tag replaces are known before they go. */
        @Override
        public void forEach(BiConsumer<? super String, ? super List<String>> action) {
            TagsAsHeaders first = new TagsAsHeaders(action, own);
            tags.forEach(first);
            if (!first.replacesOwn) {
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
                for (String tag : tags.keySet()) {
                    if (tag.equalsIgnoreCase((String) name)) {
                        return List.of(tags.get(tag));
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
            List<Map.Entry<String, List<String>>> entries = new ArrayList<>(own.size() + tags.size());
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

    private static final class TagsAsHeaders implements BiConsumer<String, String> {
        private final BiConsumer<? super String, ? super List<String>> action;
        private final Map<String, List<String>> own;
        /** Whether the application sets a header of a tag's name itself (its map is case-insensitive). */
        boolean replacesOwn;

        TagsAsHeaders(BiConsumer<? super String, ? super List<String>> action, Map<String, List<String>> own) {
            this.action = action;
            this.own = own;
        }

        @Override
        public void accept(String name, String value) {
            action.accept(name, List.of(value));
            if (!replacesOwn && !own.isEmpty() && own.containsKey(name)) {
                replacesOwn = true;
            }
        }
    }
}
