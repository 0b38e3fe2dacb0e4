package io.tailguard.it;

import java.util.function.BooleanSupplier;

/** Polls for a condition the system reaches on its own (connections closing, pools draining). */
public final class Await {

    private Await() {
    }

    public static void until(BooleanSupplier condition, long timeoutMillis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not reached within " + timeoutMillis + " ms");
            }
            Thread.sleep(20);
        }
    }
}
