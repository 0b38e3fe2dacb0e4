package io.tailguard.it.app;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.http.HttpHost;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.ResponseListener;
import org.elasticsearch.client.RestClient;

/**
 * Elasticsearch's low-level {@code RestClient} with one node, the server of the call's URL, or the
 * nodes of option {@code nodes} ({@code http://host:port,...}):
 * {@code performRequest}, or {@code performRequestAsync} with {@code async=true}. A status it treats as an error surfaces as {@code ResponseException},
 * described with the status and body it carries.
 */
public final class ElasticsearchDriver implements ClientDriver {

    private final Map<String, RestClient> clients = new ConcurrentHashMap<>();

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        URI url = URI.create(call.get("url"));
        String nodes = call.getOrDefault("nodes", url.getScheme() + "://" + url.getHost() + ":" + url.getPort());
        RestClient client = clients.computeIfAbsent(nodes, k -> {
            String[] each = nodes.split(",");
            HttpHost[] hosts = new HttpHost[each.length];
            for (int i = 0; i < each.length; i++) {
                hosts[i] = HttpHost.create(each[i]);
            }
            // A new client's first request tries the nodes in the order given. The connect timeout
            // is 10 s rather than the client's 1 s: a test server with a small accept backlog
            // (Python's http.server: 5) drops a SYN under a burst of connections, and the kernel
            // sends it again only after a second.
            return RestClient.builder(hosts)
                    .setRequestConfigCallback(config -> config.setConnectTimeout(10_000))
                    .build();
        });
        Request request = new Request(call.getOrDefault("method", "GET"), url.getRawPath());
        if (!"none".equals(call.getOrDefault("bodyKind", "none"))) {
            request.setEntity(new NStringEntity(call.getOrDefault("body", ""), ContentType.APPLICATION_JSON));
        }
        Outcomes.headers(call, (name, value) -> request.setOptions(request.getOptions().toBuilder().addHeader(name, value)));
        return Outcomes.timed(result -> {
            try {
                describe(perform(client, request, "true".equals(call.get("async"))), result);
            } catch (ResponseException e) {
                Outcomes.failure(result, e);
                describe(e.getResponse(), result);
            }
        });
    }

    private static Response perform(RestClient client, Request request, boolean async) throws Exception {
        if (!async) {
            return client.performRequest(request);
        }
        java.util.concurrent.CompletableFuture<Response> done = new java.util.concurrent.CompletableFuture<>();
        AtomicInteger outcomes = new AtomicInteger();
        client.performRequestAsync(request, new ResponseListener() {
            @Override
            public void onSuccess(Response response) {
                Outcomes.outcome(outcomes);
                done.complete(response);
            }

            @Override
            public void onFailure(Exception failure) {
                Outcomes.outcome(outcomes);
                done.completeExceptionally(failure);
            }
        });
        try {
            return done.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    private static void describe(Response response, Map<String, String> result) throws java.io.IOException {
        result.put("status", Integer.toString(response.getStatusLine().getStatusCode()));
        result.put("body", response.getEntity() == null ? ""
                : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8));
        String note = response.getHeader("X-Server-Note");
        if (note != null) {
            result.put("note", note);
        }
    }
}
