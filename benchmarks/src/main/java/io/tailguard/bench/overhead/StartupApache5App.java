package io.tailguard.bench.overhead;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * {@link StartupApp} with Apache HttpClient 5's classic client in place of the JDK's: it creates
 * the default client, makes one GET, reads the body, prints the same lines and exits. Its class
 * path holds this class, {@link StartupApp} (whose printing it shares) and HttpClient 5 with
 * HttpCore 5 and slf4j's API ({@link StartupRun} writes them into one jar).
 */
public final class StartupApache5App {

    private StartupApache5App() {
    }

    public static void main(String[] args) throws Exception {
        int status;
        try (CloseableHttpClient client = HttpClients.createDefault()) {
            HttpGet request = new HttpGet(args[0]);
            long started = System.nanoTime();
            status = client.execute(request, response -> {
                EntityUtils.consume(response.getEntity());
                return response.getCode();
            });
            long took = System.nanoTime() - started;
            System.out.println("first-call-ms " + took / 1e6);
        }
        StartupApp.printAgentLines();
        System.out.println(status);
    }
}
