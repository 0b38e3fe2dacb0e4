package io.tailguard.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HandOffsTest {

    private final HandOffs handOffs = new HandOffs();

    @Test
    void aStartedTaskTellsTheThreadHowLongItWaitedSinceItsHandOffOnce() throws Exception {
        Object task = new Object();
        handOffs.handedOff(task);
        long before = System.nanoTime();
        while (System.nanoTime() - before < TimeUnit.MILLISECONDS.toNanos(20)) {
            Thread.onSpinWait();
        }
        handOffs.started(task);
        long waited = QueueWait.take();
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(20), Long.toString(waited));
        assertEquals(QueueWait.UNKNOWN, QueueWait.take());

        // Run again without a new hand-off (a reused task whose hand-off was not seen): nobody knows.
        QueueWait.dequeued(5);
        handOffs.started(task);
        assertEquals(QueueWait.UNKNOWN, QueueWait.take());
    }

    @Test
    void aReusedTaskKeepsOneSlotAndTasksNeverStartedAreForgottenWithThem() throws Exception {
        Object reused = new Object();
        for (int i = 0; i < 1_000; i++) {
            handOffs.handedOff(reused);
            handOffs.started(reused);
        }
        assertEquals(1, handOffs.size());
        for (int i = 0; i < 1_000; i++) {
            handOffs.handedOff(new Object());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (handOffs.size() > 1 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(1, handOffs.size());
        QueueWait.take();
    }
}
