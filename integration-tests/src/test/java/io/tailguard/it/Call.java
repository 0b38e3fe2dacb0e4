package io.tailguard.it;

import java.util.LinkedHashMap;
import java.util.Map;

/** One call the application should make: client, method, URL, headers, body. */
public final class Call {

    private final Map<String, String> fields = new LinkedHashMap<>();

    private Call(String client, String method, String url) {
        fields.put("client", client);
        fields.put("method", method);
        fields.put("url", url);
    }

    public static Call get(String client, String url) {
        return new Call(client, "GET", url);
    }

    public static Call of(String client, String method, String url) {
        return new Call(client, method, url);
    }

    public Call header(String name, String value) {
        fields.put("h." + name, value);
        return this;
    }

    /** {@code kind}: string, bytes, inputStream (replayable), publisher or oneShot (not replayable). */
    public Call body(String kind, String body) {
        fields.put("bodyKind", kind);
        fields.put("body", body);
        return this;
    }

    public Call timeoutMs(long millis) {
        fields.put("timeoutMs", Long.toString(millis));
        return this;
    }

    /** A driver-specific option, e.g. {@code handler=inputStream}. */
    public Call option(String name, String value) {
        fields.put(name, value);
        return this;
    }

    /** The call as the fields of a command, e.g. for the application's {@code load} verb. */
    public Map<String, String> asMap() {
        return fields;
    }
}
