package io.tailguard.it.app;

import jakarta.ws.rs.client.Client;
import jakarta.ws.rs.client.ClientBuilder;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/**
 * Jersey's JAX-RS client (3.1) on its default connector, {@code HttpUrlConnector}, which sends
 * through {@code HttpURLConnection}: the call's method, headers and string body; every status
 * reaches the application as a {@code Response}.
 */
public final class JerseyDriver implements ClientDriver {

    private final Client client = ClientBuilder.newClient();

    @Override
    public Map<String, String> call(Map<String, String> call) {
        return Outcomes.timed(result -> {
            Invocation.Builder request = client.target(call.get("url")).request();
            Outcomes.headers(call, request::header);
            String method = call.getOrDefault("method", "GET");
            Entity<String> body = "none".equals(call.getOrDefault("bodyKind", "none")) ? null
                    : Entity.text(call.getOrDefault("body", ""));
            try (Response response = body == null ? request.method(method) : request.method(method, body)) {
                result.put("status", Integer.toString(response.getStatus()));
                result.put("body", response.readEntity(String.class));
                if (call.containsKey("readHeader")) {
                    result.put("header", String.valueOf(response.getHeaderString(call.get("readHeader"))));
                }
            }
        });
    }
}
