package io.tailguard.agent.instrumentation.apache4.adapter;

import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import org.apache.http.HttpResponse;
import org.apache.http.client.ServiceUnavailableRetryStrategy;
import org.apache.http.impl.client.HttpClientBuilder;
import org.apache.http.protocol.HttpContext;

/**
 * An application's own {@code ServiceUnavailableRetryStrategy}, composed with Tailguard by the rule
 * the default strategy follows: it stands aside only for a status Tailguard retries itself in that
 * attempt (so a 503 costs one request per Tailguard attempt, not one per attempt and per client
 * retry); for every other request and status it decides exactly as written.
 */
final class StandAsideStatusRetry implements ServiceUnavailableRetryStrategy {

    private final ServiceUnavailableRetryStrategy application;

    private StandAsideStatusRetry(ServiceUnavailableRetryStrategy application) {
        this.application = application;
    }

    /** Gives {@code builder} the application's strategy, wrapped; {@code null} is set as it is. */
    static Object install(HttpClientBuilder builder, ServiceUnavailableRetryStrategy strategy) {
        if (strategy == null || strategy instanceof StandAsideStatusRetry) {
            return Dispatcher.PROCEED;
        }
        Dispatcher.skipNextInterception();
        try {
            return Outcome.returning(builder.setServiceUnavailableRetryStrategy(new StandAsideStatusRetry(strategy)));
        } finally {
            Dispatcher.clearSkip();
        }
    }

    @Override
    public boolean retryRequest(HttpResponse response, int executionCount, HttpContext context) {
        if (Apache4Exchange.engineRetries(context, response.getStatusLine().getStatusCode())) {
            return false;
        }
        return application.retryRequest(response, executionCount, context);
    }

    @Override
    public long getRetryInterval() {
        return application.getRetryInterval();
    }

    @Override
    public String toString() {
        return application.toString();
    }
}
