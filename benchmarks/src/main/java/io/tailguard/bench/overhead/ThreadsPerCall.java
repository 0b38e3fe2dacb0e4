package io.tailguard.bench.overhead;

import io.tailguard.bench.server.MiniHttpServer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.ForkJoinPool;

/**
 * Counts the threads the JDK client starts per 1,000 calls through {@code send} and through
 * {@code sendAsync(...).get()}, without the agent. {@code sendAsync} hands its result over through
 * {@code CompletableFuture}'s default executor, which on JDK 17 is a new thread per task wherever
 * the common pool has a parallelism of 1 (two CPUs or fewer, containers included). Prints one line
 * of {@code key=value} pairs.
 */
public final class ThreadsPerCall {

    private ThreadsPerCall() {
    }

    public static void main(String[] args) throws Exception {
        int calls = 1000;
        try (MiniHttpServer server = MiniHttpServer.fast()) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(server.url("/"))).build();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            for (int i = 0; i < 200; i++) {
                client.send(request, HttpResponse.BodyHandlers.ofString());
                client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).get();
            }
            long before = threads.getTotalStartedThreadCount();
            for (int i = 0; i < calls; i++) {
                client.send(request, HttpResponse.BodyHandlers.ofString());
            }
            long afterSend = threads.getTotalStartedThreadCount();
            for (int i = 0; i < calls; i++) {
                client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).get();
            }
            long afterAsync = threads.getTotalStartedThreadCount();
            System.out.println("cpus=" + Runtime.getRuntime().availableProcessors() + " commonPoolParallelism="
                    + ForkJoinPool.getCommonPoolParallelism() + " send=" + (afterSend - before) + " sendAsync="
                    + (afterAsync - afterSend) + " calls=" + calls + " java=" + Runtime.version());
        }
        System.exit(0);
    }
}
