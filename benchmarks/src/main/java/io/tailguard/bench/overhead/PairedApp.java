package io.tailguard.bench.overhead;

import io.tailguard.bench.clients.BenchClient;
import io.tailguard.bench.clients.BenchClients;
import io.tailguard.bench.server.MiniHttpServer;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The application of the paired overhead run, started with the agent by {@link PairedRun}. One
 * client, one JVM, five servers on five loopback addresses, one per {@link PairedRun.Arm}: the
 * agent's configuration leaves two unmatched (the second as a control) and gives each of the
 * others a policy with one more feature. Calls go in blocks, the arms of a round in a rotating order, so that drift in
 * the machine's load and in the JIT hits every arm alike; each block reports its wall time, the
 * calling thread's CPU time and allocation, and the whole process's CPU time.
 *
 * <p>Arguments: client, rounds, calls per block, warm-up calls per arm. Output lines:
 * {@code block <round> <arm> <calls> <wallNs> <threadCpuNs> <threadAllocBytes> <processCpuNs>}
 * and {@code tagged <arm> <true|false>}.
 */
public final class PairedApp {

    private PairedApp() {
    }

    public static void main(String[] args) throws Exception {
        String clientName = args[0];
        int rounds = Integer.parseInt(args[1]);
        int block = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        PairedRun.Arm[] arms = PairedRun.Arm.values();
        List<MiniHttpServer> servers = new ArrayList<>();
        List<AtomicBoolean> tagged = new ArrayList<>();
        String[] urls = new String[arms.length];
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        for (PairedRun.Arm arm : arms) {
            AtomicBoolean sawTag = new AtomicBoolean();
            MiniHttpServer server = new MiniHttpServer(request -> {
                if (request.header("x-attempt") != null) {
                    sawTag.set(true);
                }
                return ok;
            }, arm.address);
            servers.add(server);
            tagged.add(sawTag);
            urls[arm.ordinal()] = server.url("/");
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (BenchClient client = BenchClients.create(clientName)) {
            for (int i = 0; i < warmup; i++) {
                for (String url : urls) {
                    call(client, url);
                }
            }
            long threadId = Thread.currentThread().getId();
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < arms.length; k++) {
                    int arm = (k + round) % arms.length;
                    String url = urls[arm];
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
        } finally {
            for (MiniHttpServer server : servers) {
                server.close();
            }
        }
        for (PairedRun.Arm arm : arms) {
            System.out.println("tagged " + arm.name() + " " + tagged.get(arm.ordinal()).get());
        }
    }

    private static void call(BenchClient client, String url) throws Exception {
        int status = client.get(url, null, null, null);
        if (status != 200) {
            throw new IllegalStateException("the benchmark server answered " + status);
        }
    }
}
