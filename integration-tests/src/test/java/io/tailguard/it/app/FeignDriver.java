package io.tailguard.it.app;

import feign.Feign;
import feign.HeaderMap;
import feign.Param;
import feign.RequestLine;
import feign.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * OpenFeign with its default client ({@code Client.Default}, over {@code HttpURLConnection}): an
 * interface with a GET, a POST and a PUT, returning Feign's raw {@code Response} so that every status
 * reaches the application as the server sent it.
 */
public final class FeignDriver implements ClientDriver {

    interface Api {
        @RequestLine("GET {path}")
        Response get(@Param(value = "path", encoded = true) String path, @HeaderMap Map<String, Object> headers);

        @RequestLine("POST {path}")
        Response post(@Param(value = "path", encoded = true) String path, @HeaderMap Map<String, Object> headers,
                String body);

        @RequestLine("PUT {path}")
        Response put(@Param(value = "path", encoded = true) String path, @HeaderMap Map<String, Object> headers,
                String body);
    }

    @Override
    public Map<String, String> call(Map<String, String> call) {
        return Outcomes.timed(result -> {
            URI uri = URI.create(call.get("url"));
            Api api = Feign.builder().target(Api.class, uri.getScheme() + "://" + uri.getRawAuthority());
            Map<String, Object> headers = new HashMap<>();
            Outcomes.headers(call, headers::put);
            String method = call.getOrDefault("method", "GET");
            String body = call.getOrDefault("body", "");
            try (Response response = "POST".equals(method) ? api.post(uri.getRawPath(), headers, body)
                    : "PUT".equals(method) ? api.put(uri.getRawPath(), headers, body)
                    : api.get(uri.getRawPath(), headers)) {
                result.put("status", Integer.toString(response.status()));
                result.put("body", read(response));
                if (call.containsKey("readHeader")) {
                    Collection<String> values = response.headers().get(call.get("readHeader"));
                    result.put("header", values == null || values.isEmpty() ? "null" : values.iterator().next());
                }
            }
        });
    }

    private static String read(Response response) throws IOException {
        if (response.body() == null) {
            return "";
        }
        try (InputStream in = response.body().asInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
