package io.tailguard.bench.overhead;

import io.tailguard.bench.clients.BenchClient;
import io.tailguard.bench.clients.BenchClients;
import io.tailguard.bench.server.MiniHttpServer;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The application of the paired overhead run, started with the agent by {@link PairedRun}. One
 * client, one JVM, one loopback address per {@link PairedRun.Arm}: the agent's configuration leaves
 * two unmatched (the second as a control) and gives each of the others a policy with one more
 * feature. Calls go in blocks, the arms of a round in a rotating order, so that drift in the
 * machine's load and in the JIT hits every arm alike; each block reports its wall time, the calling
 * thread's CPU time and allocation, and the whole process's CPU time.
 *
 * <p>The arms share their servers: as many servers as arms, each listening on the wildcard address
 * so that every arm's loopback address reaches every server, and in round {@code r} arm {@code a}
 * calls server {@code (a + r) mod n}. Over any whole number of cycles of {@code n} rounds every arm
 * has called every server equally often, so what one server instance costs more than another (its
 * threads, where the scheduler put them) is the same for every arm and cancels in the differences
 * between arms, instead of passing for what the agent does. Each (arm, server) pair is a connection
 * of its own in the client's pool (host and port differ), kept alive from the warm-up on. A
 * server tells which arm a request came from by its {@code Host} header.
 *
 * <p>Arguments: client, rounds, calls per block, warm-up calls per arm. Output lines:
 * {@code block <round> <arm> <calls> <wallNs> <threadCpuNs> <threadAllocBytes> <processCpuNs>}
 * and {@code tagged <arm> <true|false>}.
 */
public final class PairedApp {

    /** Every local address: one listener serves the loopback address of every arm. */
    private static final String ANY_ADDRESS = "0.0.0.0";

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
        List<MiniHttpServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < arms.length; i++) {
                servers.add(new MiniHttpServer(request -> {
                    if (request.header("x-attempt") != null) {
                        AtomicBoolean tagged = taggedByAddress.get(hostOnly(request.header("host")));
                        if (tagged != null) {
                            tagged.set(true);
                        }
                    }
                    return ok;
                }, ANY_ADDRESS));
            }
            // urls[arm][server]
            String[][] urls = new String[arms.length][arms.length];
            for (PairedRun.Arm arm : arms) {
                for (int server = 0; server < servers.size(); server++) {
                    urls[arm.ordinal()][server] = "http://" + arm.address + ":" + servers.get(server).port() + "/";
                }
            }
            measure(clientName, rounds, block, warmup, arms, urls);
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
        int servers = urls[0].length;
        try (BenchClient client = BenchClients.create(clientName)) {
            for (int i = 0; i < warmup; i++) {
                for (String[] arm : urls) {
                    call(client, arm[i % servers]);
                }
            }
            long threadId = Thread.currentThread().getId();
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < arms.length; k++) {
                    int arm = (k + round) % arms.length;
                    String url = urls[arm][(arm + round) % servers];
                    long process0 = os.getProcessCpuTime();
                    long alloc0 = threads.getThreadAllocatedBytes(threadId);
                    long cpu0 = threads.getCurrentThreadCpuTime();
                    long wall0 = System.nanoTime();
                    for (int i = 0; i < block; i++) {
                        call(client, url);
                    }
                    long wall = System.nanoTime() - wall0;
                    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
                    long alloc = threads.getThreadAllocatedBytes(threadId) - alloc0;
                    long process = os.getProcessCpuTime() - process0;
                    System.out.println("block " + round + " " + arms[arm].name() + " " + block + " " + wall + " " + cpu
                            + " " + alloc + " " + process);
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

    private static void call(BenchClient client, String url) throws Exception {
        int status = client.get(url, null, null, null);
        if (status != 200) {
            throw new IllegalStateException("the benchmark server answered " + status);
        }
    }
}
