package io.tailguard.it.app;

import java.io.IOException;
import org.apache.hc.client5.http.HttpRequestRetryStrategy;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.util.TimeValue;

/**
 * Retry strategies an application writes itself: each retries a 503 twice, 10 ms apart, whatever
 * the method, and nothing else.
 */
final class AppOwnRetries {

    static final int RETRIES = 2;

    private AppOwnRetries() {
    }

    /** Apache HttpClient 4.5: {@code ServiceUnavailableRetryStrategy}. */
    static final class Status4 implements org.apache.http.client.ServiceUnavailableRetryStrategy {
        @Override
        public boolean retryRequest(org.apache.http.HttpResponse response, int executionCount,
                org.apache.http.protocol.HttpContext context) {
            return executionCount <= RETRIES && response.getStatusLine().getStatusCode() == 503;
        }

        @Override
        public long getRetryInterval() {
            return 10;
        }
    }

    /** Apache HttpClient 5, classic and async: {@code HttpRequestRetryStrategy}. */
    static final class Strategy5 implements HttpRequestRetryStrategy {
        @Override
        public boolean retryRequest(HttpRequest request, IOException exception, int execCount,
                org.apache.hc.core5.http.protocol.HttpContext context) {
            return false;
        }

        @Override
        public boolean retryRequest(org.apache.hc.core5.http.HttpResponse response, int execCount,
                org.apache.hc.core5.http.protocol.HttpContext context) {
            return execCount <= RETRIES && response.getCode() == 503;
        }

        @Override
        public TimeValue getRetryInterval(org.apache.hc.core5.http.HttpResponse response, int execCount,
                org.apache.hc.core5.http.protocol.HttpContext context) {
            return TimeValue.ofMilliseconds(10);
        }
    }
}
