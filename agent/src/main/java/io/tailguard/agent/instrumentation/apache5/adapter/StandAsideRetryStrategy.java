package io.tailguard.agent.instrumentation.apache5.adapter;

import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import java.io.IOException;
import org.apache.hc.client5.http.HttpRequestRetryStrategy;
import org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.TimeValue;

/**
 * An application's own {@code HttpRequestRetryStrategy}, composed with Tailguard by the rule the
 * default strategy follows: its status retry stands aside only for a status Tailguard retries
 * itself in that attempt (so a 503 costs one request per Tailguard attempt, not one per attempt
 * and per client retry); for every other request and status, and for every I/O failure, it decides
 * exactly as written.
 */
final class StandAsideRetryStrategy implements HttpRequestRetryStrategy {

    private final HttpRequestRetryStrategy application;

    private StandAsideRetryStrategy(HttpRequestRetryStrategy application) {
        this.application = application;
    }

    /** Gives the classic or async {@code builder} the application's strategy, wrapped; {@code null} is set as it is. */
    static Object install(Object builder, HttpRequestRetryStrategy strategy) {
        if (strategy == null || strategy instanceof StandAsideRetryStrategy) {
            return Dispatcher.PROCEED;
        }
        StandAsideRetryStrategy wrapped = new StandAsideRetryStrategy(strategy);
        Dispatcher.skipNextInterception();
        try {
            return Outcome.returning(builder instanceof HttpClientBuilder
                    ? ((HttpClientBuilder) builder).setRetryStrategy(wrapped)
                    : ((HttpAsyncClientBuilder) builder).setRetryStrategy(wrapped));
        } finally {
            Dispatcher.clearSkip();
        }
    }

    @Override
    public boolean retryRequest(HttpRequest request, IOException exception, int execCount, HttpContext context) {
        return application.retryRequest(request, exception, execCount, context);
    }

    @Override
    public boolean retryRequest(HttpResponse response, int execCount, HttpContext context) {
        if (AttemptContexts.engineRetries(context, response.getCode())) {
            return false;
        }
        return application.retryRequest(response, execCount, context);
    }

    @Override
    public TimeValue getRetryInterval(HttpRequest request, IOException exception, int execCount, HttpContext context) {
        return application.getRetryInterval(request, exception, execCount, context);
    }

    @Override
    public TimeValue getRetryInterval(HttpResponse response, int execCount, HttpContext context) {
        return application.getRetryInterval(response, execCount, context);
    }

    @Override
    public String toString() {
        return application.toString();
    }
}
