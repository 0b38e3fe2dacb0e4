package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

class EngineRequestPathTest {

    /** The list is by name: a class renamed or removed must be renamed or removed there too. */
    @Test
    void everyClassLoadedAheadOfTheFirstRequestExists() {
        for (String name : Engine.REQUEST_PATH) {
            assertDoesNotThrow(() -> Class.forName(name, false, Engine.class.getClassLoader()), name);
        }
    }
}
