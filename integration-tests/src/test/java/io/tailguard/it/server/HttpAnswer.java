package io.tailguard.it.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** An HTTP/1.1 response as read off a socket: status, headers (by lower-case name) and the body, unchunked. */
final class HttpAnswer {

    final int status;
    final Map<String, String> headers = new LinkedHashMap<>();
    final byte[] body;
    /** The header lines as received, in order, without {@code Date}. */
    final List<String> headerLines = new ArrayList<>();

    HttpAnswer(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || end < 0) {
            throw new AssertionError("not an HTTP response: " + text);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        status = Integer.parseInt(lines[0].substring(9, 12));
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            if (!lines[i].regionMatches(true, 0, "Date:", 0, 5)) {
                headerLines.add(lines[i]);
            }
        }
        String rest = text.substring(end + 4);
        body = ("chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? unchunk(rest) : rest)
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    private static String unchunk(String chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
            if (size == 0) {
                return out.toString(StandardCharsets.ISO_8859_1);
            }
            byte[] chunk = chunked.substring(lineEnd + 2, lineEnd + 2 + size).getBytes(StandardCharsets.ISO_8859_1);
            out.write(chunk, 0, chunk.length);
            at = lineEnd + 2 + size + 2;
        }
    }

    @Override
    public String toString() {
        return status + " " + headers + " " + bodyText();
    }
}
