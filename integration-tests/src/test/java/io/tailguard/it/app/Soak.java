package io.tailguard.it.app;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The soak workload: {@code count} calls from {@code threads} threads, spread over every client
 * API in {@code clients} and over four kinds of request. Call {@code n} goes to
 * {@code <base>/<kind>/<n>} with header {@code X-App-Call: c<n>} and, where it has one, body
 * {@code body-c<n>}, so that the server can keep a ledger of what arrived for which call.
 * <ul>
 *   <li>{@code get}: GET, idempotent, no body (60% of calls)</li>
 *   <li>{@code post}: POST without Idempotency-Key: never to be sent twice (15%)</li>
 *   <li>{@code put}: PUT with a replayable body (15%)</li>
 *   <li>{@code oneshot}: PUT with a body that cannot be replayed: never to be sent twice (10%)</li>
 * </ul>
 */
final class Soak {

    private Soak() {
    }

    static String kind(int n) {
        int slot = n / 7 % 20;
        return slot < 12 ? "get" : slot < 15 ? "post" : slot < 18 ? "put" : "oneshot";
    }

    static Map<String, String> run(Map<String, String> command) throws InterruptedException {
        int count = Integer.parseInt(command.get("count"));
        int threads = Integer.parseInt(command.get("threads"));
        int first = Integer.parseInt(command.getOrDefault("first", "0"));
        List<String> clients = List.of(command.get("clients").split(","));
        String base = command.get("base");
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger(first);
        AtomicInteger ended = new AtomicInteger();
        long extraBefore = Outcomes.EXTRA_OUTCOMES.get();
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    for (int n = next.getAndIncrement(); n < first + count; n = next.getAndIncrement()) {
                        String outcome = call(clients.get(n % clients.size()), base, n);
                        ended.incrementAndGet();
                        outcomes.computeIfAbsent(kind(n) + ":" + outcome, o -> new AtomicInteger()).incrementAndGet();
                    }
                } finally {
                    done.countDown();
                }
            }, "app-soak-" + t);
            worker.start();
        }
        done.await();
        Map<String, String> reply = new TreeMap<>();
        outcomes.forEach((outcome, n) -> reply.put("outcome." + outcome, Integer.toString(n.get())));
        reply.put("ended", Integer.toString(ended.get()));
        reply.put("extraOutcomes", Long.toString(Outcomes.EXTRA_OUTCOMES.get() - extraBefore));
        reply.put("elapsedMs", Long.toString((System.nanoTime() - start) / 1_000_000));
        return reply;
    }

    private static String call(String client, String base, int n) {
        String kind = kind(n);
        Map<String, String> call = new HashMap<>();
        call.put("url", base + "/" + kind + "/" + n);
        call.put("h.X-App-Call", "c" + n);
        call.put("version", "1.1");
        switch (kind) {
            case "get":
                call.put("method", "GET");
                break;
            case "post":
                call.put("method", "POST");
                call.put("bodyKind", "bytes");
                call.put("body", "body-c" + n);
                break;
            case "put":
                call.put("method", "PUT");
                call.put("bodyKind", "bytes");
                call.put("body", "body-c" + n);
                break;
            default:
                call.put("method", "PUT");
                call.put("bodyKind", "oneShot");
                call.put("body", "body-c" + n);
                if (client.equals("apache5-async")) {
                    client = "apache5-async-streaming";
                }
        }
        try {
            Map<String, String> result = AppMain.driver(client).call(call);
            return result.containsKey("status") ? result.get("status") : result.get("error");
        } catch (Exception e) {
            return "threw " + e.getClass().getName();
        }
    }

    /** Heap in use after garbage collection, in MiB. */
    static Map<String, String> heap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Map<String, String> reply = new LinkedHashMap<>();
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        reply.put("usedMiB", Long.toString(used / (1024 * 1024)));
        return reply;
    }
}
