package io.tailguard.bench.overhead;

import io.tailguard.bench.clients.BenchClient;
import io.tailguard.bench.clients.BenchClients;
import io.tailguard.bench.clients.OkHttpBenchClient;
import io.tailguard.bench.server.MemorySockets;
import io.tailguard.bench.server.MiniHttpServer;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The application of the paired overhead run, started with the agent by {@link PairedRun}. One
 * client, one JVM, one loopback address per {@link PairedRun.Arm}: the agent's configuration leaves
 * three unmatched (one as a control; on another the application sets the tags itself) and gives
 * each of the others a policy with one more feature. Within a round the arms take turns call by
 * call, so that drift in the machine's load and
 * in the JIT hits every arm alike, and each call's wall time, calling thread's CPU time and
 * allocation are added to its arm's; then each arm makes a block of calls, in rotating order, for
 * the whole process's CPU time, which the kernel counts in ticks too coarse for one call.
 *
 * <p>The arms share their servers: as many servers as arms, each listening on the wildcard address
 * so that every arm's loopback address reaches every server, and in round {@code r} arm {@code a}
 * calls server {@code (a + r) mod n}. Over any whole number of cycles of {@code n} rounds every arm
 * has called every server equally often, so what one server instance costs more than another (its
 * threads, where the scheduler put them) is the same for every arm and cancels in the differences
 * between arms, instead of passing for what the agent does. Each (arm, server) pair is a connection
 * of its own in the client's pool (host and port differ), kept alive from the warm-up on: OkHttp,
 * which keeps five idle connections by default, fewer than the arms use in turn, is given room for
 * all of them (with its default pool it opened a new connection on one call in seven, whose cost
 * fell on whichever arm made it). The servers count the connections they accepted, which the run
 * checks. A server tells which arm a request came from by its {@code Host} header.
 *
 * <p>Wall time is also summed a second time, steady: without the turns in which a call took over
 * {@link #SLOW_CALL_NANOS}, left out for every arm alike. Such a call was held up by a collection
 * or by the host, whichever arm's call was running then; each arm's count of them says whether
 * they came more often on some arm.
 *
 * <p>Arguments: client, rounds, calls per block, warm-up calls per arm. Output lines:
 * {@code block <round> <arm> <calls> <wallNs> <threadCpuNs> <threadAllocBytes> <processCpuNs>
 * <steadyTurns> <steadyWallNs> <slowCalls>},
 * {@code tagged <arm> <true|false>} and {@code connections <accepted>}.
 */
public final class PairedApp {

    /** Every local address: one listener serves the loopback address of every arm. */
    private static final String ANY_ADDRESS = "0.0.0.0";
    /**
     * A call held up by something besides the client and the agent: over 2 ms, six times the slowest
     * client API's own call here (JDK {@code sendAsync}, some 350 µs), and under the 3 to 8 ms a
     * collection or the host descheduling a thread holds one up.
     */
    static final int SLOW_CALL_MILLIS = 2;
    static final long SLOW_CALL_NANOS = TimeUnit.MILLISECONDS.toNanos(SLOW_CALL_MILLIS);

    private PairedApp() {
    }

    public static void main(String[] args) throws Exception {
        String clientName = args[0];
        int rounds = Integer.parseInt(args[1]);
        int block = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        PairedRun.Arm[] arms = PairedRun.Arm.values();
        Map<String, AtomicBoolean> taggedByAddress = new HashMap<>();
        for (PairedRun.Arm arm : arms) {
            taggedByAddress.put(arm.address, new AtomicBoolean());
        }
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        MiniHttpServer.Handler handler = request -> {
            if (request.header("x-attempt") != null) {
                AtomicBoolean tagged = taggedByAddress.get(hostOnly(request.header("host")));
                if (tagged != null) {
                    tagged.set(true);
                }
            }
            return ok;
        };
        // The clients whose connections are in memory answer as the servers do, with their handler.
        MemorySockets.answerWith(handler);
        List<MiniHttpServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < arms.length; i++) {
                servers.add(new MiniHttpServer(handler, ANY_ADDRESS));
            }
            // urls[arm][server]
            String[][] urls = new String[arms.length][arms.length];
            for (PairedRun.Arm arm : arms) {
                for (int server = 0; server < servers.size(); server++) {
                    urls[arm.ordinal()][server] = "http://" + arm.address + ":" + servers.get(server).port() + "/";
                }
            }
            measure(clientName, rounds, block, warmup, arms, urls);
            int accepted = 0;
            for (MiniHttpServer server : servers) {
                accepted += server.connectionsAccepted();
            }
            System.out.println("connections " + accepted);
        } finally {
            for (MiniHttpServer server : servers) {
                server.close();
            }
        }
        for (PairedRun.Arm arm : arms) {
            System.out.println("tagged " + arm.name() + " " + taggedByAddress.get(arm.address).get());
        }
    }

    private static void measure(String clientName, int rounds, int block, int warmup, PairedRun.Arm[] arms,
            String[][] urls) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int n = arms.length;
        int servers = urls[0].length;
        System.setProperty(OkHttpBenchClient.IDLE_CONNECTIONS, Integer.toString(n * servers));
        try (BenchClient client = BenchClients.create(clientName)) {
            // The first arm rotating here too: the connections are made in this order, and a client
            // that spreads its connections over its I/O threads in turn (the asynchronous Apache
            // clients, one per core) would otherwise put every connection of one arm on the same
            // thread, and the arms of even and odd places on different ones for the whole JVM. So
            // each arm's connections alternate between them, and so do the rounds.
            for (int i = 0; i < warmup; i++) {
                for (int k = 0; k < n; k++) {
                    int arm = (k + i) % n;
                    call(client, urls[arm][i % servers], arms[arm].headers);
                }
            }
            long threadId = Thread.currentThread().getId();
            long[] wall = new long[n];
            long[] cpu = new long[n];
            long[] alloc = new long[n];
            long[] process = new long[n];
            long[] turnWall = new long[n];
            long[] steadyWall = new long[n];
            int[] slow = new int[n];
            for (int round = 0; round < rounds; round++) {
                java.util.Arrays.fill(wall, 0);
                java.util.Arrays.fill(cpu, 0);
                java.util.Arrays.fill(alloc, 0);
                java.util.Arrays.fill(steadyWall, 0);
                java.util.Arrays.fill(slow, 0);
                int steadyTurns = 0;
                // Wall time, caller CPU and allocation call by call, the arms taking turns (the first
                // of each turn rotating): whatever the machine does for longer than a few calls (the
                // scheduler's placement of the client's and the servers' threads, the JIT, another
                // process) then falls on every arm alike instead of on one arm's block.
                for (int i = 0; i < block; i++) {
                    boolean steady = true;
                    for (int k = 0; k < n; k++) {
                        int arm = (k + i + round) % n;
                        String url = urls[arm][(arm + round) % servers];
                        long alloc0 = threads.getThreadAllocatedBytes(threadId);
                        long cpu0 = threads.getCurrentThreadCpuTime();
                        long wall0 = System.nanoTime();
                        call(client, url, arms[arm].headers);
                        long took = System.nanoTime() - wall0;
                        cpu[arm] += threads.getCurrentThreadCpuTime() - cpu0;
                        alloc[arm] += threads.getThreadAllocatedBytes(threadId) - alloc0;
                        wall[arm] += took;
                        turnWall[arm] = took;
                        if (took > SLOW_CALL_NANOS) {
                            slow[arm]++;
                            steady = false;
                        }
                    }
                    // A turn in which one call was held up for milliseconds (a collection, the host
                    // descheduling a thread) is left out of the steady figure for every arm alike.
                    if (steady) {
                        steadyTurns++;
                        for (int arm = 0; arm < n; arm++) {
                            steadyWall[arm] += turnWall[arm];
                        }
                    }
                }
                // Process CPU advances in the kernel's clock ticks (10 ms), too coarse for one call:
                // it is measured over a block of calls per arm, the arms in rotating order.
                for (int k = 0; k < n; k++) {
                    int arm = (k + round) % n;
                    String url = urls[arm][(arm + round) % servers];
                    long process0 = os.getProcessCpuTime();
                    String[] headers = arms[arm].headers;
                    for (int i = 0; i < block; i++) {
                        call(client, url, headers);
                    }
                    process[arm] = os.getProcessCpuTime() - process0;
                }
                for (int arm = 0; arm < n; arm++) {
                    System.out.println("block " + round + " " + arms[arm].name() + " " + block + " " + wall[arm] + " "
                            + cpu[arm] + " " + alloc[arm] + " " + process[arm] + " " + steadyTurns + " "
                            + steadyWall[arm] + " " + slow[arm]);
                }
            }
        }
    }

    /** {@code 127.0.0.3:41234} to {@code 127.0.0.3}. */
    private static String hostOnly(String hostHeader) {
        if (hostHeader == null) {
            return "";
        }
        int colon = hostHeader.lastIndexOf(':');
        return colon < 0 ? hostHeader : hostHeader.substring(0, colon);
    }

    private static void call(BenchClient client, String url, String[] headers) throws Exception {
        int status = client.get(url, null, headers);
        if (status != 200) {
            throw new IllegalStateException("the benchmark server answered " + status);
        }
    }
}
