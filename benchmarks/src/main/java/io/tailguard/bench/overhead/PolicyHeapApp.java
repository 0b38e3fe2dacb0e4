package io.tailguard.bench.overhead;

import io.tailguard.agent.engine.Engine;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.concurrent.locks.LockSupport;

/**
 * What one policy keeps on the heap as its request rate grows: a fresh engine per rate with one
 * policy (tagging, and a hedge delay learned as the p95 of a sliding window: the state that grows
 * with traffic, if any does), driven by handled calls at that rate for a while, then the heap after
 * a full GC compared with the same engine before the load. Started by {@link ScalingRun} in a JVM
 * of its own. Arguments: seconds per rate, then the rates. Output: {@code heap <rate> <calls> <bytes>}.
 */
public final class PolicyHeapApp {

    private PolicyHeapApp() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(args[0]);
        // A first engine, driven and dropped, so that what the JVM allocates once (classes
        // initialised, the scheduler's and workers' threads) is not counted against the first rate.
        Engine first = EngineBenchmark.configured("tailguard.policy.api.hedge.delay=p95\n");
        drive(first, new EngineBenchmark.Answering(), 1000, 1);
        for (int i = 1; i < args.length; i++) {
            int rate = Integer.parseInt(args[i]);
            Engine engine = EngineBenchmark.configured("tailguard.policy.api.hedge.delay=p95\n");
            EngineBenchmark.Answering exchange = new EngineBenchmark.Answering();
            for (int n = 0; n < 1000; n++) {
                EngineBenchmark.call(engine, exchange);
            }
            long before = heapAfterGc();
            long calls = drive(engine, exchange, rate, seconds);
            long after = heapAfterGc();
            Reference.reachabilityFence(engine);
            System.out.println("heap " + rate + " " + calls + " " + (after - before));
        }
    }

    /** Calls at {@code rate} per second, paced every millisecond, for {@code seconds}. */
    private static long drive(Engine engine, EngineBenchmark.Answering exchange, int rate, int seconds) {
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        long calls = 0;
        for (long now = start; now < end; now = System.nanoTime()) {
            long due = (now - start) * rate / 1_000_000_000L;
            while (calls < due) {
                EngineBenchmark.call(engine, exchange);
                calls++;
            }
            LockSupport.parkNanos(1_000_000L);
        }
        return calls;
    }

    private static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
