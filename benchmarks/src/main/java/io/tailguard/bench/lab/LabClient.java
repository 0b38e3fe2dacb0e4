package io.tailguard.bench.lab;

import io.tailguard.bench.clients.BenchClient;
import io.tailguard.bench.clients.BenchClients;
import java.io.BufferedWriter;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The lab's application, in its own JVM (started with or without the agent): an open-loop load
 * generator. Logical requests arrive as a Poisson process at a fixed rate, each on its own thread,
 * so a slow response never delays the next arrival; a request's latency is measured from when it
 * was scheduled to start, not from when a thread got to it. In {@code naive} mode each request is
 * wrapped in the seed article's retry loop.
 *
 * <p>Arguments ({@code --name value}): url, rate (per second), seconds (warm-up included), start-at
 * (epoch millis when the load starts), mode (plain|naive), timeout-ms (the request's own timeout;
 * 0 = none), naive-timeout-ms (per attempt, naive mode), drain-seconds, client, seed, out.
 */
public final class LabClient {

    static final int TIMEOUT = -1;
    static final int ERROR = -2;
    static final int UNFINISHED = -3;

    private LabClient() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String url = a.get("url");
        double rate = Double.parseDouble(a.get("rate"));
        double seconds = Double.parseDouble(a.get("seconds"));
        long startAt = Long.parseLong(a.get("start-at"));
        boolean naive = "naive".equals(a.get("mode"));
        long timeoutMs = Long.parseLong(a.getOrDefault("timeout-ms", "0"));
        Duration timeout = timeoutMs > 0 ? Duration.ofMillis(timeoutMs) : null;
        long naiveTimeoutMs = Long.parseLong(a.getOrDefault("naive-timeout-ms", "0"));
        Duration attemptTimeout = naive && naiveTimeoutMs > 0 ? Duration.ofMillis(naiveTimeoutMs) : timeout;
        double drainSeconds = Double.parseDouble(a.getOrDefault("drain-seconds", "15"));
        long seed = Long.parseLong(a.getOrDefault("seed", "1"));

        BenchClient client = BenchClients.create(a.getOrDefault("client", "jdk"));
        // One call before the clock starts, so that class loading is not in the first request.
        client.get(url, null, LabServer.ID_HEADER, "-1");

        int capacity = (int) (rate * seconds * 1.5) + 1000;
        long[] scheduled = new long[capacity];
        long[] latency = new long[capacity];
        int[] outcome = new int[capacity];
        int[] attempts = new int[capacity];
        AtomicInteger finished = new AtomicInteger();
        ExecutorService app = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "app-request");
            t.setDaemon(true);
            return t;
        });

        long origin = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startAt - System.currentTimeMillis());
        long end = origin + (long) (seconds * 1e9);
        SplittableRandom arrivals = new SplittableRandom(seed);
        long next = origin;
        long maxLag = 0;
        int n = 0;
        while (n < capacity) {
            next += (long) (-Math.log(1 - arrivals.nextDouble()) / rate * 1e9);
            if (next >= end) {
                break;
            }
            for (long wait = next - System.nanoTime(); wait > 0; wait = next - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            maxLag = Math.max(maxLag, System.nanoTime() - next);
            int index = n++;
            long intended = next;
            scheduled[index] = intended - origin;
            outcome[index] = UNFINISHED;
            SplittableRandom jitter = arrivals.split();
            app.execute(() -> {
                int[] tries = new int[1];
                int result = naive ? naiveCall(client, url, index, attemptTimeout, jitter, tries)
                        : call(client, url, index, timeout);
                latency[index] = System.nanoTime() - intended;
                attempts[index] = naive ? tries[0] : 0;
                outcome[index] = result;
                finished.incrementAndGet();
            });
        }
        long drainUntil = System.nanoTime() + (long) (drainSeconds * 1e9);
        while (finished.get() < n && System.nanoTime() < drainUntil) {
            Thread.sleep(20);
        }
        long now = System.nanoTime();
        try (BufferedWriter out = Files.newBufferedWriter(Paths.get(a.get("out")), StandardCharsets.UTF_8)) {
            out.write("# id,scheduled_ns,latency_ns,outcome,client_attempts; max_dispatch_lag_ns=" + maxLag + "\n");
            for (int i = 0; i < n; i++) {
                long l = outcome[i] == UNFINISHED ? now - origin - scheduled[i] : latency[i];
                out.write(i + "," + scheduled[i] + "," + l + "," + outcome[i] + "," + attempts[i] + "\n");
            }
        }
        System.out.println("lab client: " + n + " requests, " + (n - finished.get()) + " unfinished, max dispatch lag "
                + maxLag / 1_000_000 + " ms");
        System.exit(0);
    }

    /** One call the way the application makes it: the status, or what went wrong. */
    private static int call(BenchClient client, String url, int id, Duration timeout) {
        try {
            return client.get(url, timeout, LabServer.ID_HEADER, Integer.toString(id));
        } catch (HttpTimeoutException | java.net.SocketTimeoutException e) {
            return TIMEOUT;
        } catch (Exception e) {
            return isTimeout(e) ? TIMEOUT : ERROR;
        }
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpTimeoutException || t instanceof java.net.SocketTimeoutException
                    || t instanceof java.io.InterruptedIOException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The seed article's {@code searchWithRetry}, in Java: up to 3 retries after the first try, on
     * any failure (an exception or a status that is not 2xx), sleeping {@code 100 ms × 2^attempt}
     * plus up to 50 ms of jitter, capped at 2 s. (The article's loop also sleeps after the last
     * try before giving up; that sleep changes nothing on the wire and is left out.)
     */
    static int naiveCall(BenchClient client, String url, int id, Duration attemptTimeout, SplittableRandom jitter,
            int[] tries) {
        final int maxRetries = 3;
        final long base = 100;
        final long maxSleep = 2_000;
        int result = ERROR;
        for (int attempt = 0; attempt <= maxRetries; attempt++) {
            tries[0]++;
            result = call(client, url, id, attemptTimeout);
            if (result >= 200 && result < 300) {
                return result;
            }
            if (attempt == maxRetries) {
                break;
            }
            long sleep = Math.min((base << attempt) + jitter.nextLong(base / 2), maxSleep);
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return result;
            }
        }
        return result;
    }
}
