package io.tailguard.it.app;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * An application whose main method simply returns, with no {@code System.exit}: it makes one
 * request (args[0]), waits until the agent's metrics port (args[1]) accepts connections, and ends.
 * The JVM must then exit: every thread the agent started must be a daemon.
 */
public final class ReturnsFromMain {

    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(args[0])).build(),
                HttpResponse.BodyHandlers.ofString());
        System.out.println("status " + response.statusCode());
        int port = Integer.parseInt(args[1]);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                System.out.println("metrics served");
                return;
            } catch (java.io.IOException notYet) {
                Thread.sleep(50);
            }
        }
        System.out.println("metrics never served");
    }
}
