package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.tailguard.agent.engine.Clock;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.RandomSource;
import io.tailguard.agent.engine.Scheduler;
import org.junit.jupiter.api.Test;

class LibraryBridgeTest {

    private static final String PACKAGE = "io.tailguard.agent.instrumentation.bridged";

    private final Engine engine = new Engine(Clock.SYSTEM, (task, delay) -> Scheduler.Cancellable.NONE, Runnable::run,
            RandomSource.THREAD_LOCAL, failure -> { });
    private final LibraryBridge bridge = new LibraryBridge(PACKAGE, PACKAGE + ".LoaderName", engine);

    @Test
    void everyHookedClassOfOneLoaderSharesOneAdapterDefinedInAChildOfThatLoader() throws Exception {
        SlotInterceptor one = bridge.adapterFor(LibraryBridgeTest.class);
        SlotInterceptor other = bridge.adapterFor(HookTransformerTest.class);

        assertSame(one, other);
        ClassLoader adapterLoader = (ClassLoader) one.intercept(0, null, new Object[0]);
        assertSame(LibraryBridgeTest.class.getClassLoader(), adapterLoader.getParent());
    }

    @Test
    void anotherLoadersHookedClassesGetAnAdapterOfTheirOwn() throws Exception {
        SlotInterceptor application = bridge.adapterFor(LibraryBridgeTest.class);
        SlotInterceptor platform = bridge.adapterFor(java.sql.Connection.class);

        assertNotSame(application, platform);
        ClassLoader adapterLoader = (ClassLoader) platform.intercept(0, null, new Object[0]);
        assertSame(java.sql.Connection.class.getClassLoader(), adapterLoader.getParent());
    }
}
