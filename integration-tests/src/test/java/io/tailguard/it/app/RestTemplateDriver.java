package io.tailguard.it.app;

import java.util.Map;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.HttpStatusCodeException;
import org.springframework.web.client.RestTemplate;

/**
 * Spring's {@code RestTemplate} on {@code SimpleClientHttpRequestFactory}, which sends through
 * {@code HttpURLConnection}: {@code exchange} with the call's method, headers and string body.
 * An error status arrives as the {@code HttpStatusCodeException} RestTemplate throws, carrying the
 * status and body.
 */
public final class RestTemplateDriver implements ClientDriver {

    private final RestTemplate template = new RestTemplate(new SimpleClientHttpRequestFactory());

    @Override
    public Map<String, String> call(Map<String, String> call) {
        return Outcomes.timed(result -> {
            HttpHeaders headers = new HttpHeaders();
            Outcomes.headers(call, headers::add);
            String body = "none".equals(call.getOrDefault("bodyKind", "none")) ? null : call.get("body");
            try {
                ResponseEntity<String> response = template.exchange(call.get("url"),
                        HttpMethod.valueOf(call.getOrDefault("method", "GET")), new HttpEntity<>(body, headers),
                        String.class);
                result.put("status", Integer.toString(response.getStatusCode().value()));
                result.put("body", String.valueOf(response.getBody()));
                if (call.containsKey("readHeader")) {
                    result.put("header", String.valueOf(response.getHeaders().getFirst(call.get("readHeader"))));
                }
            } catch (HttpStatusCodeException e) {
                result.put("status", Integer.toString(e.getStatusCode().value()));
                result.put("body", e.getResponseBodyAsString());
            }
        });
    }
}
