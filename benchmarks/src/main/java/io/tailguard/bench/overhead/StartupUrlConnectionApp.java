package io.tailguard.bench.overhead;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;

/**
 * {@link StartupApp} with {@code HttpURLConnection} in place of the JDK's {@code HttpClient}: it
 * opens one connection, makes one GET, reads the body, prints the same lines and exits. Its class
 * path holds only this class and {@link StartupApp}, whose printing it shares.
 */
public final class StartupUrlConnectionApp {

    private StartupUrlConnectionApp() {
    }

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        HttpURLConnection connection = (HttpURLConnection) new URL(args[0]).openConnection();
        int status = connection.getResponseCode();
        try (InputStream body = connection.getInputStream()) {
            body.readAllBytes();
        }
        long took = System.nanoTime() - started;
        System.out.println("first-call-ms " + took / 1e6);
        StartupApp.printAgentLines();
        System.out.println(status);
    }
}
