package io.tailguard.bench.overhead;

import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@link StartupApp} with OkHttp in place of the JDK's client: it creates an {@code OkHttpClient},
 * makes one GET with {@code execute()}, reads the body, prints the same lines and exits. Its class
 * path holds this class, {@link StartupApp} (whose printing it shares) and OkHttp with okio and
 * Kotlin's standard library ({@link StartupRun} writes them into one jar).
 */
public final class StartupOkHttpApp {

    private StartupOkHttpApp() {
    }

    public static void main(String[] args) throws Exception {
        OkHttpClient client = new OkHttpClient();
        Request request = new Request.Builder().url(args[0]).build();
        long started = System.nanoTime();
        int status;
        try (Response response = client.newCall(request).execute()) {
            response.body().string();
            status = response.code();
        }
        long took = System.nanoTime() - started;
        System.out.println("first-call-ms " + took / 1e6);
        StartupApp.printAgentLines();
        System.out.println(status);
    }
}
