package io.tailguard.it.app;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** One message between a test and its forked application: {@code key=value} pairs on one line. */
public final class Wire {

    private Wire() {
    }

    public static String encode(Map<String, String> message) {
        StringBuilder line = new StringBuilder();
        for (Map.Entry<String, String> e : message.entrySet()) {
            if (line.length() > 0) {
                line.append('\t');
            }
            line.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue() == null ? "" : e.getValue(), StandardCharsets.UTF_8));
        }
        return line.toString();
    }

    public static Map<String, String> decode(String line) {
        Map<String, String> message = new LinkedHashMap<>();
        for (String pair : line.split("\t")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                message.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return message;
    }
}
