package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HookTransformerTest {

    /** What premain asks about each class loaded before it, by the name {@code Class.getName()} gives. */
    @Test
    void aLoadedClassIsHookedByItsBinaryNameOnlyWhenAHookNamesIt() {
        HookTransformer transformer = new HookTransformer(List.of(new Hook("a/b/Client", "send", "()V", 0),
                new Hook("a/b/Client", "sendAsync", "()V", 1), new Hook("c/Impl", "call", "()V", 2)),
                new HookTransformer.Listener() {
                    @Override
                    public void transformed(String type) {
                    }

                    @Override
                    public void failed(String type, Throwable failure) {
                    }
                });

        assertTrue(transformer.hooks("a.b.Client"));
        assertTrue(transformer.hooks("c.Impl"));
        assertFalse(transformer.hooks("a.b.Other"));
        assertFalse(transformer.hooks("a.b"));
    }
}
