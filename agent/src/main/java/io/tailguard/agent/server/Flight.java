package io.tailguard.agent.server;

import io.tailguard.agent.engine.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** One request whose handler is running, which later attempts of the same request wait for. */
final class Flight {

    /** How often a waiting attempt looks whether its client is still there. */
    static final long CLIENT_CHECK_MILLIS = 50;

    /** How a wait for the first attempt ended. */
    enum Wait {
        /** The first attempt finished: {@link #response()} tells whether it can be shared. */
        DONE,
        /** The container saw the waiting attempt's client leave. */
        CLIENT_GONE,
        /** The time the waiting attempt's client said it waits ran out. */
        EXPIRED
    }

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
     * Waits until the handler of this flight finished, the waiting client left, or its time ran out.
     *
     * @param giveUpAt when the waiting attempt's client stops waiting, on {@code clock};
     *     {@code Long.MAX_VALUE} when it did not say
     */
    Wait await(ServerExchange waiting, Clock clock, long giveUpAt) throws InterruptedException {
        long check = TimeUnit.MILLISECONDS.toNanos(CLIENT_CHECK_MILLIS);
        while (true) {
            long left = giveUpAt == Long.MAX_VALUE ? check : giveUpAt - clock.nanoTime();
            if (left <= 0) {
                return done.getCount() == 0 ? Wait.DONE : Wait.EXPIRED;
            }
            if (done.await(Math.min(check, left), TimeUnit.NANOSECONDS)) {
                return Wait.DONE;
            }
            if (waiting.clientGone()) {
                return Wait.CLIENT_GONE;
            }
        }
    }

    /** The response to share, or {@code null} when it may not be. */
    RecordedResponse response() {
        return response;
    }

    long handlerNanos() {
        return handlerNanos;
    }
}
