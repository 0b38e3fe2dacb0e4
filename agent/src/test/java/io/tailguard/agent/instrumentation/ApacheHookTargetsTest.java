package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tailguard.agent.instrumentation.apache4.Apache4AsyncInstrumentation;
import io.tailguard.agent.instrumentation.apache4.Apache4Instrumentation;
import io.tailguard.agent.instrumentation.apache5.Apache5AsyncInstrumentation;
import io.tailguard.agent.instrumentation.apache5.Apache5ClassicInstrumentation;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Apache hook names a method that exists, with that exact descriptor, in the client versions
 * the agent is built against (4.5.14, HttpAsyncClient 4.1.5, 5.6.5): a renamed or re-typed method would otherwise leave the
 * client silently unhandled.
 */
class ApacheHookTargetsTest {

    static Stream<Hook> apacheHooks() {
        return Stream.of(new Apache4Instrumentation(), new Apache4AsyncInstrumentation(),
                new Apache5ClassicInstrumentation(),
                new Apache5AsyncInstrumentation()).flatMap(client -> client.hooks().stream());
    }

    @ParameterizedTest
    @MethodSource("apacheHooks")
    void theHookedMethodExistsInTheRealClient(Hook hook) throws IOException {
        byte[] classFile;
        try (InputStream in = ApacheHookTargetsTest.class.getClassLoader()
                .getResourceAsStream(hook.type() + ".class")) {
            assertNotNull(in, hook.type() + " is not in the client jar");
            classFile = in.readAllBytes();
        }
        assertNotNull(MethodPrologue.apply(classFile, List.of(hook)), hook + " matches no method");
    }
}
