package io.tailguard.bench.overhead;

import io.tailguard.bench.clients.BenchClient;
import io.tailguard.bench.clients.BenchClients;
import io.tailguard.bench.server.MemorySockets;
import io.tailguard.bench.server.MiniHttpServer;
import java.lang.management.ManagementFactory;

/**
 * The application of {@link UnmatchedRun}, started with the agent or without it: one client, one
 * server (or connections in memory, answered by the same handler), three loopback addresses taking
 * turns call by call, the first of each turn rotating. {@link #UNMATCHED} and {@link #CONTROL} are
 * matched by no policy in any configuration the run gives; {@link #HANDLED} is handled where the
 * configuration has a policy for it, and unmatched elsewhere. Each call's wall time and calling
 * thread's CPU time and allocation are added to its address's, except in turns in which a call
 * took over {@link PairedApp#SLOW_CALL_NANOS} (a collection or the host holding it up), which are
 * counted instead.
 *
 * <p>Arguments: client, rounds, turns per round, warm-up turns. Output lines:
 * {@code round <round> <address> <calls> <wallNs> <threadCpuNs> <threadAllocBytes> <heldUpTurns>}.
 */
public final class UnmatchedApp {

    static final String UNMATCHED = "127.0.0.1";
    static final String CONTROL = "127.0.0.5";
    static final String HANDLED = "127.0.0.4";
    static final String[] ADDRESSES = {UNMATCHED, CONTROL, HANDLED};

    private UnmatchedApp() {
    }

    public static void main(String[] args) throws Exception {
        String clientName = args[0];
        int rounds = Integer.parseInt(args[1]);
        int turns = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        MiniHttpServer.Handler handler = request -> ok;
        MemorySockets.answerWith(handler);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long threadId = Thread.currentThread().getId();
        int n = ADDRESSES.length;
        try (MiniHttpServer server = new MiniHttpServer(handler, "0.0.0.0");
                BenchClient client = BenchClients.create(clientName)) {
            String[] urls = new String[n];
            for (int a = 0; a < n; a++) {
                urls[a] = "http://" + ADDRESSES[a] + ":" + server.port() + "/";
            }
            for (int i = 0; i < warmup; i++) {
                for (int k = 0; k < n; k++) {
                    call(client, urls[(k + i) % n]);
                }
            }
            long[] wall = new long[n];
            long[] cpu = new long[n];
            long[] alloc = new long[n];
            long[] turnWall = new long[n];
            long[] turnCpu = new long[n];
            long[] turnAlloc = new long[n];
            for (int round = 0; round < rounds; round++) {
                java.util.Arrays.fill(wall, 0);
                java.util.Arrays.fill(cpu, 0);
                java.util.Arrays.fill(alloc, 0);
                int calls = 0;
                int heldUp = 0;
                for (int i = 0; i < turns; i++) {
                    boolean steady = true;
                    for (int k = 0; k < n; k++) {
                        int a = (k + i + round) % n;
                        long alloc0 = threads.getThreadAllocatedBytes(threadId);
                        long cpu0 = threads.getCurrentThreadCpuTime();
                        long wall0 = System.nanoTime();
                        call(client, urls[a]);
                        turnWall[a] = System.nanoTime() - wall0;
                        turnCpu[a] = threads.getCurrentThreadCpuTime() - cpu0;
                        turnAlloc[a] = threads.getThreadAllocatedBytes(threadId) - alloc0;
                        steady &= turnWall[a] <= PairedApp.SLOW_CALL_NANOS;
                    }
                    if (!steady) {
                        heldUp++;
                        continue;
                    }
                    calls++;
                    for (int a = 0; a < n; a++) {
                        wall[a] += turnWall[a];
                        cpu[a] += turnCpu[a];
                        alloc[a] += turnAlloc[a];
                    }
                }
                for (int a = 0; a < n; a++) {
                    System.out.println("round " + round + " " + ADDRESSES[a] + " " + calls + " " + wall[a] + " " + cpu[a]
                            + " " + alloc[a] + " " + heldUp);
                }
            }
        }
    }

    private static void call(BenchClient client, String url) throws Exception {
        int status = client.get(url, null, BenchClient.NO_HEADERS);
        if (status != 200) {
            throw new IllegalStateException("the benchmark server answered " + status);
        }
    }
}
