package io.tailguard.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PoolWorkersTest {

    @Test
    void queuesUpToItsLimitRefusesBeyondAndServesTheQueueWhenTheCapacityGrows() throws Exception {
        PoolWorkers pool = new PoolWorkers(1, 1);
        try {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch running = new CountDownLatch(1);
            pool.execute(() -> {
                running.countDown();
                await(release);
            });
            assertTrue(running.await(10, TimeUnit.SECONDS));
            CompletableFuture<Boolean> queued = new CompletableFuture<>();
            long before = System.nanoTime();
            pool.execute(() -> queued.complete(PoolWorkers.refused() || PoolWorkers.queuedAt() < before));
            CompletableFuture<Boolean> refused = new CompletableFuture<>();
            pool.execute(() -> refused.complete(PoolWorkers.refused()));

            assertTrue(refused.get(10, TimeUnit.SECONDS), "beyond the queue: answered on a thread of its own");
            assertEquals(1, pool.queued());
            assertEquals(1, pool.peakQueue());
            pool.setCapacity(2);
            assertFalse(queued.get(10, TimeUnit.SECONDS), "served by a worker, knowing when it was queued");
            release.countDown();
        } finally {
            pool.shutdown();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
