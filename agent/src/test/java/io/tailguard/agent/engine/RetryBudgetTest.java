package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.config.BudgetConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private final ManualTime time = new ManualTime();

    @Test
    void extraAttemptsStayWithinTheRatioOfPrimariesOverTheWindow() {
        RetryBudget budget = new RetryBudget(new BudgetConfig(0.2, 0, Duration.ofSeconds(10)), time);
        for (int i = 0; i < 100; i++) {
            budget.deposit(time.nanoTime());
        }
        int granted = 0;
        while (budget.tryWithdraw()) {
            granted++;
        }
        assertEquals(20, granted);
    }

    @Test
    void theFloorAllowsMinPerSecondTimesTtlWithoutAnyTraffic() {
        RetryBudget budget = new RetryBudget(new BudgetConfig(0.2, 10, Duration.ofSeconds(10)), time);
        int granted = 0;
        while (budget.tryWithdraw()) {
            granted++;
        }
        assertEquals(100, granted);
    }

    @Test
    void theFloorAllowsAboutMinPerSecondUnderSustainedDemand() {
        RetryBudget budget = new RetryBudget(new BudgetConfig(0, 10, Duration.ofSeconds(10)), time);
        int granted = 0;
        // 60 s of a retry wanted every 10 ms, with no primaries depositing anything.
        for (int i = 0; i < 6_000; i++) {
            if (budget.tryWithdraw()) {
                granted++;
            }
            time.advanceMillis(10);
        }
        // 100 at once, then the reserve comes back as withdrawals expire: about 10/s after that.
        assertTrue(granted >= 540 && granted <= 660, "granted " + granted);
    }

    @Test
    void aTokenGivenBackCanBeTakenAgainAndExpiresWithinOneSliceOfTheOneTaken() {
        // One token in all: the reserve of 0.1/s over 10 s.
        RetryBudget budget = new RetryBudget(new BudgetConfig(0, 0.1, Duration.ofSeconds(10)), time);
        assertTrue(budget.tryWithdraw());
        assertFalse(budget.tryWithdraw(), "the one token is taken");
        time.advanceMillis(10);
        budget.refund();
        assertEquals(1.0, budget.balance(), 1e-9);
        assertTrue(budget.tryWithdraw(), "the token given back");
        assertFalse(budget.tryWithdraw());

        // Taken in one slice and given back in the next (slices of 1 s): for that one slice after the
        // withdrawal expires, the refund outlives it, and the budget holds one token more.
        time.advanceMillis(10_000);
        assertEquals(1.0, budget.balance(), 1e-9);
        assertTrue(budget.tryWithdraw());
        time.advanceMillis(1_000);
        budget.refund();
        time.advanceMillis(9_000);
        assertEquals(2.0, budget.balance(), 1e-9, "the withdrawal has expired, the refund not yet");
        time.advanceMillis(1_000);
        assertEquals(1.0, budget.balance(), 1e-9, "the reserve alone again");
    }

    @Test
    void depositsExpireAfterTheTtl() {
        RetryBudget budget = new RetryBudget(new BudgetConfig(0.5, 0, Duration.ofSeconds(10)), time);
        for (int i = 0; i < 10; i++) {
            budget.deposit(time.nanoTime());
        }
        assertEquals(5.0, budget.balance(), 1e-9);
        time.advanceMillis(9_000);
        assertEquals(5.0, budget.balance(), 1e-9);
        time.advanceMillis(1_001);
        assertEquals(0.0, budget.balance(), 1e-9);
        assertFalse(budget.tryWithdraw());
    }

    @Test
    void aDepositAtAGivenTimeExpiresWithTheSliceOfThatTime() {
        RetryBudget budget = new RetryBudget(new BudgetConfig(0.5, 0, Duration.ofSeconds(10)), time);
        // A request's start, read just before the clock entered the next one-second slice.
        long start = time.nanoTime();
        time.advanceMillis(1_000);
        for (int i = 0; i < 10; i++) {
            budget.deposit(start);
        }
        assertEquals(5.0, budget.balance(), 1e-9);
        // Ten seconds after the start, nine after the deposits were made: gone, as deposits made
        // at the start would be.
        time.advanceMillis(9_000);
        assertEquals(0.0, budget.balance(), 1e-9);
    }

    @Test
    void withdrawalsExpireToo() {
        RetryBudget budget = new RetryBudget(new BudgetConfig(1.0, 0, Duration.ofSeconds(10)), time);
        budget.deposit(time.nanoTime());
        assertTrue(budget.tryWithdraw());
        time.advanceMillis(5_000);
        budget.deposit(time.nanoTime());
        assertTrue(budget.tryWithdraw());
        assertFalse(budget.tryWithdraw());
        time.advanceMillis(5_001);
        // The first pair has expired on both sides; only the second, which nets to zero, is left.
        assertEquals(0.0, budget.balance(), 1e-9);
        budget.deposit(time.nanoTime());
        assertTrue(budget.tryWithdraw());
    }

    @Test
    void concurrentHammeringNeverOverdraws() throws Exception {
        RetryBudget budget = new RetryBudget(new BudgetConfig(0.2, 1, Duration.ofSeconds(10)), Clock.SYSTEM);
        int threads = 32;
        int perThread = 20_000;
        AtomicInteger granted = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    budget.deposit(Clock.SYSTEM.nanoTime());
                    if (budget.tryWithdraw()) {
                        granted.incrementAndGet();
                    }
                    if (budget.tryWithdraw()) {
                        granted.incrementAndGet();
                    }
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        long primaries = (long) threads * perThread;
        // 0.2 per primary plus the 1/s x 10 s reserve; the run is far shorter than the window.
        assertTrue(granted.get() <= primaries * 0.2 + 10, "granted " + granted.get() + " of " + primaries);
        assertTrue(granted.get() >= primaries * 0.2 - 1, "granted " + granted.get() + " of " + primaries);
    }
}
