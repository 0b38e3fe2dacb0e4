package io.tailguard.bench.lab;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class WorkersTest {

    @Test
    void queuesUpToItsLimitThenRejectsAndServesTheQueueInOrderAsCapacityFrees() throws Exception {
        Workers workers = new Workers(1, 1);
        assertTrue(workers.acquire());
        CompletableFuture<Boolean> queued = CompletableFuture.supplyAsync(() -> acquire(workers));
        waitUntilQueued(workers);
        assertFalse(workers.acquire(), "the queue is full: rejected");
        assertFalse(queued.isDone());
        workers.release();
        assertTrue(queued.get(5, TimeUnit.SECONDS));
    }

    @Test
    void raisingTheCapacityAdmitsTheWaitingAtOnce() throws Exception {
        Workers workers = new Workers(1, 10);
        assertTrue(workers.acquire());
        CompletableFuture<Boolean> queued = CompletableFuture.supplyAsync(() -> acquire(workers));
        waitUntilQueued(workers);
        try {
            queued.get(100, TimeUnit.MILLISECONDS);
            throw new AssertionError("admitted beyond the capacity");
        } catch (TimeoutException expected) {
            // still waiting
        }
        workers.setCapacity(2);
        assertTrue(queued.get(5, TimeUnit.SECONDS));
    }

    private static boolean acquire(Workers workers) {
        try {
            return workers.acquire();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void waitUntilQueued(Workers workers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (workers.peakQueue() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(workers.peakQueue() > 0, "nothing queued");
    }
}
