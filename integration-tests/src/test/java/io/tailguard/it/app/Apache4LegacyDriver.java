package io.tailguard.it.app;

import java.util.Map;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpUriRequest;
import org.apache.http.impl.client.AbstractHttpClient;
import org.apache.http.impl.client.DefaultHttpClient;
import org.apache.http.impl.client.SystemDefaultHttpClient;

/**
 * The deprecated Apache HttpClient 4.x clients built on {@code AbstractHttpClient}, as legacy code
 * builds them: {@code new DefaultHttpClient()} (one connection, {@code BasicClientConnectionManager})
 * and {@code new SystemDefaultHttpClient()} (a pool sized by the system properties). One client per
 * driver, shared by its calls.
 */
@SuppressWarnings("deprecation")
public abstract class Apache4LegacyDriver implements ClientDriver {

    private final AbstractHttpClient client = create();

    abstract AbstractHttpClient create();

    @Override
    public Map<String, String> call(Map<String, String> call) throws Exception {
        HttpUriRequest request = Apache4Driver.request(call);
        return Outcomes.timed(result -> {
            try (CloseableHttpResponse response = client.execute(request)) {
                Apache4Driver.describe(response, result);
            }
        });
    }

    /** {@code new DefaultHttpClient()}. */
    public static final class Default extends Apache4LegacyDriver {
        @Override
        AbstractHttpClient create() {
            return new DefaultHttpClient();
        }
    }

    /** {@code new SystemDefaultHttpClient()}. */
    public static final class SystemDefault extends Apache4LegacyDriver {
        @Override
        AbstractHttpClient create() {
            return new SystemDefaultHttpClient();
        }
    }
}
