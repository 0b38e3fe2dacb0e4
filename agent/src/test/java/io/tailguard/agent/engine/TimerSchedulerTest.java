package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TimerSchedulerTest {

    private final TimerScheduler scheduler = new TimerScheduler(TimeUnit.MILLISECONDS.toNanos(1));

    @AfterEach
    void stop() {
        scheduler.shutdown();
    }

    @Test
    void timersRunInDeadlineOrderOnTheTimerThreadAndACancelledOneNever() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(2);
        scheduler.schedule(() -> {
            ran.add("late" + (scheduler.isSchedulerThread() ? "" : " (wrong thread)"));
            done.countDown();
        }, TimeUnit.MILLISECONDS.toNanos(60));
        scheduler.schedule(() -> {
            ran.add("early");
            done.countDown();
        }, TimeUnit.MILLISECONDS.toNanos(20));
        scheduler.schedule(() -> ran.add("cancelled"), TimeUnit.MILLISECONDS.toNanos(40)).cancel();

        assertTrue(done.await(5, TimeUnit.SECONDS));
        // The cancelled timer was due before the late one: had it run, it would be listed.
        assertEquals(List.of("early", "late"), ran);
        assertFalse(scheduler.isSchedulerThread());
    }

    @Test
    void theTickRunsWhileTimersAreArmedAndStopsWhenNoneIs() throws Exception {
        assertFalse(scheduler.ticking());
        CountDownLatch ran = new CountDownLatch(1);
        scheduler.schedule(ran::countDown, 0);
        assertTrue(scheduler.ticking());
        assertTrue(ran.await(5, TimeUnit.SECONDS));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (scheduler.ticking() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertFalse(scheduler.ticking(), "the tick kept running with no timer armed");

        CountDownLatch again = new CountDownLatch(1);
        scheduler.schedule(again::countDown, TimeUnit.MILLISECONDS.toNanos(5));
        assertTrue(scheduler.ticking(), "arming a timer starts the tick again");
        assertTrue(again.await(5, TimeUnit.SECONDS));
    }
}
