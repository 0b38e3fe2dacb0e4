package io.tailguard.agent.server;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** One request whose handler is running, which later attempts of the same request wait for. */
final class Flight {

    /** How often a waiting attempt looks whether its client is still there. */
    static final long CLIENT_CHECK_MILLIS = 50;

    final CallerKey signature;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile RecordedResponse response;
    private volatile long handlerNanos;

    Flight(CallerKey signature) {
        this.signature = signature;
    }

    void complete(RecordedResponse response, long handlerNanos) {
        this.response = response;
        this.handlerNanos = handlerNanos;
        done.countDown();
    }

    /**
     * Waits until the handler of this flight finished or the waiting client left.
     *
     * @return whether the flight finished (then {@link #response()} tells whether it can be shared)
     */
    boolean await(ServerExchange waiting) throws InterruptedException {
        while (!done.await(CLIENT_CHECK_MILLIS, TimeUnit.MILLISECONDS)) {
            if (waiting.clientGone()) {
                return false;
            }
        }
        return true;
    }

    /** The response to share, or {@code null} when it may not be. */
    RecordedResponse response() {
        return response;
    }

    long handlerNanos() {
        return handlerNanos;
    }
}
