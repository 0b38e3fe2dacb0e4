package io.tailguard.it.servers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One request as a scripted server read it. */
public final class Recorded {

    public final String method;
    public final String path;
    public final String body;
    /** Every header line as {@code Name: value}, in the order the server lists them. */
    public final List<String> headerLines;

    Recorded(String method, String path, String body, List<String> headerLines) {
        this.method = method;
        this.path = path;
        this.body = body;
        this.headerLines = List.copyOf(headerLines);
    }

    /** The first value of a header, matched ignoring case, or {@code null}. */
    public String header(String name) {
        List<String> all = headers(name);
        return all.isEmpty() ? null : all.get(0);
    }

    /** Every value of a header, matched ignoring case. */
    public List<String> headers(String name) {
        List<String> values = new ArrayList<>();
        String prefix = name.toLowerCase(Locale.ROOT) + ":";
        for (String line : headerLines) {
            if (line.toLowerCase(Locale.ROOT).startsWith(prefix)) {
                values.add(line.substring(prefix.length()).trim());
            }
        }
        return values;
    }

    @Override
    public String toString() {
        return method + " " + path + " " + headerLines + (body.isEmpty() ? "" : " body=" + body);
    }
}
