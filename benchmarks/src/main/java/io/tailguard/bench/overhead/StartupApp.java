package io.tailguard.bench.overhead;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * The smallest application that uses an HTTP client: it creates a JDK {@code HttpClient}, makes one
 * GET, prints the status and exits. Its class path holds only this class, so that the startup
 * measurement is of the JVM, the client and the agent, not of a large jar.
 */
public final class StartupApp {

    private StartupApp() {
    }

    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(args[0])).build(),
                HttpResponse.BodyHandlers.ofString());
        System.out.println(response.statusCode());
    }
}
