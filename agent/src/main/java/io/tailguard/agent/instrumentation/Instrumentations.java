package io.tailguard.agent.instrumentation;

import io.tailguard.agent.instrumentation.jdk.JdkHttpClientInstrumentation;
import io.tailguard.agent.instrumentation.okhttp.OkHttpInstrumentation;
import java.util.List;

/** Every client the agent knows how to hook. */
public final class Instrumentations {

    private Instrumentations() {
    }

    public static List<ClientInstrumentation> all() {
        return List.of(new JdkHttpClientInstrumentation(), new OkHttpInstrumentation());
    }
}
