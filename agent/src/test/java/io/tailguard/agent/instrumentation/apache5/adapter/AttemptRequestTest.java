package io.tailguard.agent.instrumentation.apache5.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.net.URIAuthority;
import org.junit.jupiter.api.Test;

class AttemptRequestTest {

    private final RequestConfig config = RequestConfig.custom().build();
    private final AttemptRequest request = new AttemptRequest("GET", "http", new URIAuthority("api", 8080), "/a?b=c",
            config);

    @Test
    void carriesTheApplicationRequestsPartsAndTheAttemptsConfig() {
        assertEquals("GET", request.getMethod());
        assertEquals("http", request.getScheme());
        assertEquals("api:8080", request.getAuthority().toString());
        assertEquals("/a?b=c", request.getPath());
        assertSame(config, request.getConfig());
    }

    @Test
    void cancellingCancelsTheDependencyOnceAsHttpUriRequestBaseDoes() {
        AtomicInteger cancels = new AtomicInteger();
        request.setDependency(counting(cancels));

        assertFalse(request.isCancelled());
        assertTrue(request.cancel());
        assertFalse(request.cancel(), "only the first cancel cancels");
        assertTrue(request.isCancelled());
        assertEquals(1, cancels.get());
    }

    @Test
    void aDependencySetAfterTheCancelIsCancelledAtOnce() {
        request.cancel();
        AtomicInteger cancels = new AtomicInteger();
        request.setDependency(counting(cancels));
        assertEquals(1, cancels.get());
    }

    private static Cancellable counting(AtomicInteger cancels) {
        return () -> {
            cancels.incrementAndGet();
            return true;
        };
    }
}
