package io.tailguard.agent.instrumentation.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.engine.AttemptSpecs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AttemptRequestTest {

    private static final URI URL = URI.create("http://127.0.0.1:8080/path?q=1");

    private static Map<String, String> tags() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("X-Request-ID", "abc");
        tags.put("X-Attempt", "2");
        tags.put("X-Is-Hedge", "false");
        return tags;
    }

    /** What the client keeps of a request's headers: its own validating copy of the map. */
    private static HttpHeaders asTheClientCopiesThem(HttpRequest request) {
        return HttpHeaders.of(request.headers().map(), (name, value) -> true);
    }

    @Test
    void carriesTheSameHeadersAsACopyMadeWithTheBuilderTagsReplacingTheApplicationsOwnWhateverTheirCase() {
        HttpRequest original = HttpRequest.newBuilder(URL)
                .header("Accept", "text/plain").header("Accept", "application/json")
                .header("x-attempt", "7").header("Authorization", "Bearer t").build();
        Map<String, String> tags = tags();
        HttpRequest.Builder built = HttpRequest.newBuilder(URL)
                .header("Accept", "text/plain").header("Accept", "application/json")
                .header("Authorization", "Bearer t");
        tags.forEach(built::setHeader);

        HttpRequest attempt = new AttemptRequest(original, AttemptSpecs.tagged(tags), original.timeout());

        HttpHeaders expected = built.build().headers();
        assertEquals(expected, asTheClientCopiesThem(attempt));
        assertEquals(expected, attempt.headers());
        assertEquals(expected.map().keySet().toString(), asTheClientCopiesThem(attempt).map().keySet().toString(),
                "the same names, in the same case: a tag's own spelling, not the application's");
        assertEquals(expected.map().entrySet().toString(), attempt.headers().map().entrySet().toString(),
                "in the same order");
        assertEquals(List.of("2"), attempt.headers().map().get("x-ATTEMPT"));
        assertEquals(List.of("text/plain", "application/json"), attempt.headers().allValues("accept"));
        assertTrue(attempt.headers().map().containsKey("x-request-id"));
        assertNull(attempt.headers().map().get("X-Other"));
        assertEquals(expected.map().size(), attempt.headers().map().size());
        assertEquals(expected.hashCode(), attempt.headers().hashCode());
    }

    @Test
    void sendsTheApplicationsRequestAsItIsApartFromTheTagsAndTheAttemptsTimeout() {
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofString("{}");
        HttpRequest original = HttpRequest.newBuilder(URL).POST(body).expectContinue(true)
                .version(HttpClient.Version.HTTP_2).timeout(Duration.ofSeconds(5)).build();
        Optional<Duration> shorter = Optional.of(Duration.ofSeconds(2));

        HttpRequest attempt = new AttemptRequest(original, AttemptSpecs.tagged(tags()), shorter);

        assertEquals("POST", attempt.method());
        assertEquals(URL, attempt.uri());
        assertSame(body, attempt.bodyPublisher().orElseThrow());
        assertTrue(attempt.expectContinue());
        assertEquals(Optional.of(HttpClient.Version.HTTP_2), attempt.version());
        assertEquals(shorter, attempt.timeout());
    }

    @Test
    void aGetWithoutBodyStaysWithoutOneUnlikeABuilderCopyWhichGaveItAnEmptyBody() {
        // JDK 19 and later send Content-Length: 0 for a GET with a body publisher, none without.
        HttpRequest original = HttpRequest.newBuilder(URL).build();

        HttpRequest attempt = new AttemptRequest(original, AttemptSpecs.tagged(tags()), original.timeout());

        assertEquals(Optional.empty(), attempt.bodyPublisher());
        assertEquals(Optional.empty(), attempt.version());
        assertEquals(Optional.empty(), attempt.timeout());
    }

    @Test
    void leavesToTheBuilderTagNamesTheJdkRestrictsOrThatCollide() {
        assertTrue(AttemptRequest.supports(AttemptSpecs.tagged(tags())));
        assertTrue(AttemptRequest.supports(AttemptSpecs.tagged(Map.of())));
        assertFalse(AttemptRequest.supports(AttemptSpecs.tagged(Map.of("Host", "a"))), "a restricted name");
        Map<String, String> twice = new LinkedHashMap<>();
        twice.put("X-Tag", "1");
        twice.put("x-tag", "2");
        assertFalse(AttemptRequest.supports(AttemptSpecs.tagged(twice)), "the same name twice");
        Map<String, String> five = new LinkedHashMap<>(tags());
        five.put("X-Request-Timeout-Ms", "100");
        five.put("X-Fifth", "5");
        assertTrue(AttemptRequest.supports(AttemptSpecs.tagged(five)));
        five.put("x-fifth", "6");
        assertFalse(AttemptRequest.supports(AttemptSpecs.tagged(five)), "the last name given twice");
    }

    @Test
    void withoutTagsTheHeadersAreTheApplicationsOwn() {
        HttpRequest original = HttpRequest.newBuilder(URL).header("Accept", "text/plain")
                .timeout(Duration.ofSeconds(5)).build();

        HttpRequest attempt = new AttemptRequest(original, AttemptSpecs.tagged(Map.of()), Optional.of(Duration.ofSeconds(1)));

        assertSame(original.headers(), attempt.headers());
    }
}
