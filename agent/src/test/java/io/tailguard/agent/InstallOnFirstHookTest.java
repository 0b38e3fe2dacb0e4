package io.tailguard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tailguard.agent.engine.Clock;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.RandomSource;
import io.tailguard.agent.engine.Scheduler;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.HookTransformer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InstallOnFirstHookTest {

    private final List<String> heard = new ArrayList<>();
    private final Engine engine = new Engine(Clock.SYSTEM, (task, delay) -> Scheduler.Cancellable.NONE, Runnable::run,
            RandomSource.THREAD_LOCAL, failure -> { });

    @Test
    void installsAClientOnceWhenItsFirstClassIsRewrittenAndNeverOneThatIsNot() {
        InstallOnFirstHook listener = new InstallOnFirstHook(List.of(client("jdk", 0, "a/Client", "a/Impl"),
                client("okhttp", 0, "b/Call")), () -> engine, listener());

        assertEquals(List.of(), heard, "nothing is installed before a class is rewritten");
        listener.transformed("a/Impl");
        listener.transformed("a/Client");
        listener.failed("c/Other", new IllegalStateException("test"));
        listener.transformed("some/Unknown");

        assertEquals(List.of("install jdk", "transformed a/Impl", "transformed a/Client", "failed c/Other",
                "transformed some/Unknown"), heard);
    }

    @Test
    void aClientThatCouldNotBeInstalledIsTriedAgainWithItsNextClass() {
        InstallOnFirstHook listener = new InstallOnFirstHook(List.of(client("okhttp", 1, "b/Call", "b/Client")),
                () -> engine, listener());

        assertThrows(IllegalStateException.class, () -> listener.transformed("b/Call"));
        listener.transformed("b/Client");
        listener.transformed("b/Call");

        assertEquals(List.of("install okhttp", "install okhttp", "transformed b/Client", "transformed b/Call"), heard);
    }

    @Test
    void withoutAnEngineNothingIsInstalledAndTheClassIsLeftAsItWasUntilThereIsOne() {
        Engine[] started = {null};
        InstallOnFirstHook listener = new InstallOnFirstHook(List.of(client("jdk", 0, "a/Client", "a/Impl")),
                () -> started[0], listener());

        assertThrows(IllegalStateException.class, () -> listener.transformed("a/Impl"),
                "the transformer's failure path leaves the class as it was");
        started[0] = engine;
        listener.transformed("a/Client");

        assertEquals(List.of("install jdk", "transformed a/Client"), heard);
    }

    private HookTransformer.Listener listener() {
        return new HeardListener(heard);
    }

    /** A client whose first {@code failures} installs throw. */
    private ClientInstrumentation client(String name, int failures, String... types) {
        int[] left = {failures};
        return new ClientInstrumentation() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<Hook> hooks() {
                List<Hook> hooks = new ArrayList<>();
                for (String type : types) {
                    hooks.add(new Hook(type, "send", "()V", 0));
                }
                return hooks;
            }

            @Override
            public void install(Engine given) {
                assertSame(engine, given, "the engine the supplier built");
                heard.add("install " + name);
                if (left[0]-- > 0) {
                    throw new IllegalStateException("cannot create the interceptors");
                }
            }
        };
    }
}
