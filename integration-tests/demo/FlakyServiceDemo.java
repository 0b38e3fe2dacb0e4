import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A plain application: it knows nothing of Tailguard. It starts a flaky local service and calls
 * it ten times with the JDK HttpClient. Every third request's first attempt answers 503, every
 * fifth request's first attempt stalls for 3 seconds; the rest answer at once. The service prints
 * what it sees, the application prints what it gets.
 *
 * Without the agent:  java FlakyServiceDemo.java
 * With the agent:     java -javaagent:agent/target/tailguard-agent.jar=integration-tests/demo/tailguard-demo.properties \
 *                          integration-tests/demo/FlakyServiceDemo.java
 */
public class FlakyServiceDemo {

    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", FlakyServiceDemo::serve);
        server.start();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long total = System.nanoTime();
        for (int i = 1; i <= 10; i++) {
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/item/" + i);
            long start = System.nanoTime();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.printf("app:    GET /item/%d -> %d %s in %d ms%n", i, response.statusCode(),
                    response.body(), (System.nanoTime() - start) / 1_000_000);
        }
        System.out.printf("app:    10 requests in %d ms%n", (System.nanoTime() - total) / 1_000_000);
        server.stop(0);
        System.exit(0);
    }

    private static void serve(HttpExchange exchange) throws java.io.IOException {
        String path = exchange.getRequestURI().getPath();
        int item = Integer.parseInt(path.substring(path.lastIndexOf('/') + 1));
        String attempt = exchange.getRequestHeaders().getFirst("X-Attempt");
        boolean first = attempt == null || attempt.equals("1");
        int status = 200;
        String body = "item " + item;
        if (first && item % 3 == 0) {
            status = 503;
            body = "busy";
        } else if (first && item % 5 == 0) {
            sleep(3000);
        }
        System.out.printf("server: GET %s attempt=%s hedge=%s request-id=%s -> %d%n", path, attempt,
                exchange.getRequestHeaders().getFirst("X-Is-Hedge"),
                exchange.getRequestHeaders().getFirst("X-Request-ID"), status);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try {
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        } catch (java.io.IOException cancelledByClient) {
            System.out.printf("server: GET %s attempt=%s: the client had already gone%n", path, attempt);
        }
        exchange.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
