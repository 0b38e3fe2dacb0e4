package io.tailguard.bench.lab;

import java.util.ArrayDeque;

/**
 * A server's capacity: {@code capacity} attempts served at once, a FIFO queue of at most
 * {@code queueLimit} waiting, and a rejection (503) beyond that. The capacity can change while
 * requests run (the brownout); attempts already being served finish.
 */
final class Workers {

    private final int queueLimit;
    private final ArrayDeque<boolean[]> queue = new ArrayDeque<>();
    private int capacity;
    private int busy;
    private int peakQueue;

    Workers(int capacity, int queueLimit) {
        this.capacity = capacity;
        this.queueLimit = queueLimit;
    }

    /** @return {@code false} when the queue is full: the attempt is rejected */
    synchronized boolean acquire() throws InterruptedException {
        if (busy < capacity && queue.isEmpty()) {
            busy++;
            return true;
        }
        if (queue.size() >= queueLimit) {
            return false;
        }
        boolean[] granted = new boolean[1];
        queue.add(granted);
        peakQueue = Math.max(peakQueue, queue.size());
        try {
            while (!granted[0]) {
                wait();
            }
        } catch (InterruptedException e) {
            if (!queue.remove(granted)) {
                busy--;
                grant();
            }
            throw e;
        }
        return true;
    }

    synchronized void release() {
        busy--;
        grant();
    }

    synchronized void setCapacity(int capacity) {
        this.capacity = capacity;
        grant();
    }

    synchronized int capacity() {
        return capacity;
    }

    int queueLimit() {
        return queueLimit;
    }

    synchronized int peakQueue() {
        return peakQueue;
    }

    synchronized int queued() {
        return queue.size();
    }

    private void grant() {
        boolean any = false;
        while (busy < capacity && !queue.isEmpty()) {
            queue.poll()[0] = true;
            busy++;
            any = true;
        }
        if (any) {
            notifyAll();
        }
    }
}
