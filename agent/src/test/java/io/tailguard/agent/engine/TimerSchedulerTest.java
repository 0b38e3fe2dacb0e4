package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TimerSchedulerTest {

    private final TimerScheduler scheduler = new TimerScheduler(TimeUnit.MILLISECONDS.toNanos(1));
    /** A tick far longer than any test here waits, so that only a signal can wake the thread early. */
    private final TimerScheduler slowTick = new TimerScheduler(TimeUnit.SECONDS.toNanos(30));

    @AfterEach
    void stop() {
        scheduler.shutdown();
        slowTick.shutdown();
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
    void manyTimersRunInDeadlineOrderWhateverTheOrderTheyWereArmedIn() throws Exception {
        int n = 200;
        List<Integer> ran = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(n / 2);
        List<Scheduler.Cancellable> timers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int due = (i * 37) % n; // every number below n once, shuffled
            timers.add(scheduler.schedule(() -> {
                ran.add(due);
                done.countDown();
            }, TimeUnit.MILLISECONDS.toNanos(20 + 2L * due))); // 4 ms between the ones that run: arming all takes less
        }
        for (int i = 0; i < n; i++) {
            if ((i * 37) % n % 2 == 1) {
                timers.get(i).cancel(); // the odd ones, from all over the heap
            }
        }

        assertTrue(done.await(5, TimeUnit.SECONDS));
        List<Integer> expected = new ArrayList<>();
        for (int due = 0; due < n; due += 2) {
            expected.add(due);
        }
        assertEquals(expected, ran);
        assertEquals(0, scheduler.armed());
    }

    @Test
    void aCancelledTimerLeavesNothingBehind() {
        for (int i = 0; i < 10_000; i++) {
            slowTick.schedule(() -> { }, TimeUnit.HOURS.toNanos(1)).cancel();
        }
        Scheduler.Cancellable kept = slowTick.schedule(() -> { }, TimeUnit.HOURS.toNanos(1));
        assertEquals(1, slowTick.armed());
        kept.cancel();
        kept.cancel();
        assertEquals(0, slowTick.armed());
    }

    @Test
    void anObjectThatIsItsOwnTimerRunsOnceWhereArmedLastAndCanBeArmedAgainAfterItRan() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch first = new CountDownLatch(2);
        Scheduler.Timer marker = new Scheduler.Timer() {
            @Override
            void due() {
                ran.add("marker");
                first.countDown();
            }
        };
        Scheduler.Timer moved = new Scheduler.Timer() {
            @Override
            void due() {
                ran.add("moved");
                first.countDown();
            }
        };
        scheduler.arm(moved, TimeUnit.MILLISECONDS.toNanos(20));
        scheduler.arm(marker, TimeUnit.MILLISECONDS.toNanos(40));
        // Armed again while armed: moved behind the marker, not in the heap twice.
        scheduler.arm(moved, TimeUnit.MILLISECONDS.toNanos(60));
        assertEquals(2, scheduler.armed());

        assertTrue(first.await(5, TimeUnit.SECONDS));
        assertEquals(List.of("marker", "moved"), ran);
        assertEquals(0, scheduler.armed());
        scheduler.disarm(moved); // after it ran: harmless

        CountDownLatch again = new CountDownLatch(1);
        scheduler.arm(new Scheduler.Timer() {
            @Override
            void due() {
                again.countDown();
            }
        }, 0);
        scheduler.arm(marker, TimeUnit.HOURS.toNanos(1));
        assertTrue(again.await(5, TimeUnit.SECONDS));
        assertEquals(1, scheduler.armed());
        scheduler.disarm(marker);
        scheduler.disarm(marker);
        assertEquals(0, scheduler.armed());
        assertEquals(List.of("marker", "moved"), ran);
    }

    @Test
    void timersDueAfterTheNextTickDoNotWakeTheThread() throws Exception {
        startTicking(slowTick);

        for (int i = 0; i < 1_000; i++) {
            slowTick.schedule(() -> { }, TimeUnit.HOURS.toNanos(1)).cancel();
        }

        assertEquals(0, slowTick.signals(), "a hedge delay armed and cancelled woke the timer thread");
    }

    @Test
    void aTimerDueBeforeTheNextTickWakesTheThreadForItsDeadline() throws Exception {
        startTicking(slowTick);

        CountDownLatch ran = new CountDownLatch(1);
        slowTick.schedule(ran::countDown, TimeUnit.MILLISECONDS.toNanos(10));

        // Without a signal it would run at the tick, 30 s from now.
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        assertEquals(1, slowTick.signals());
    }

    @Test
    void theTickStopsWhenNoTimerWasArmedSinceTheLastOne() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        scheduler.schedule(ran::countDown, 0);
        assertTrue(ran.await(5, TimeUnit.SECONDS));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (scheduler.ticking() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertFalse(scheduler.ticking(), "the tick kept running with no timer armed");

        CountDownLatch again = new CountDownLatch(1);
        scheduler.schedule(again::countDown, TimeUnit.MILLISECONDS.toNanos(5));
        assertTrue(again.await(5, TimeUnit.SECONDS), "a timer armed on a quiet thread runs");
    }

    @Test
    void aFailingTaskDoesNotStopTheTimersAfterIt() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        scheduler.schedule(() -> {
            throw new IllegalStateException("a task's own failure");
        }, 0);
        scheduler.schedule(ran::countDown, TimeUnit.MILLISECONDS.toNanos(5));

        assertTrue(ran.await(5, TimeUnit.SECONDS));
    }

    @Test
    void aStoppedSchedulerDropsItsTimersAndRefusesNewOnes() {
        scheduler.schedule(() -> { }, TimeUnit.SECONDS.toNanos(20));
        scheduler.shutdown();

        assertEquals(0, scheduler.armed());
        assertThrows(RejectedExecutionException.class, () -> scheduler.schedule(() -> { }, 0));
    }

    /**
     * Starts the timer thread with a timer that runs at once, and waits until its next wait ends at
     * a tick: a timer was armed since its last wait.
     */
    private static void startTicking(TimerScheduler s) throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        s.schedule(started::countDown, 0);
        assertTrue(started.await(5, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!s.ticking() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(s.ticking());
    }
}
