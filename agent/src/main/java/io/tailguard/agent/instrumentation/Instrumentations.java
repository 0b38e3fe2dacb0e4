package io.tailguard.agent.instrumentation;

import io.tailguard.agent.instrumentation.apache4.Apache4AsyncInstrumentation;
import io.tailguard.agent.instrumentation.apache4.Apache4Instrumentation;
import io.tailguard.agent.instrumentation.apache5.Apache5AsyncInstrumentation;
import io.tailguard.agent.instrumentation.apache5.Apache5ClassicInstrumentation;
import io.tailguard.agent.instrumentation.jdk.JdkHttpClientInstrumentation;
import io.tailguard.agent.instrumentation.okhttp.OkHttpInstrumentation;
import io.tailguard.agent.instrumentation.urlconnection.UrlConnectionInstrumentation;
import io.tailguard.agent.server.httpserver.HttpServerInstrumentation;
import io.tailguard.agent.server.servlet.ServletInstrumentation;
import io.tailguard.agent.server.tomcat.TomcatQueueInstrumentation;
import java.util.List;

/** Every client the agent knows how to hook, and the servers whose requests it acts on. */
public final class Instrumentations {

    private Instrumentations() {
    }

    public static List<ClientInstrumentation> all() {
        return List.of(new JdkHttpClientInstrumentation(), new OkHttpInstrumentation(), new Apache4Instrumentation(),
                new Apache5ClassicInstrumentation(), new Apache5AsyncInstrumentation(), new Apache4AsyncInstrumentation(),
                new UrlConnectionInstrumentation(), new ServletInstrumentation(), new HttpServerInstrumentation(),
                new TomcatQueueInstrumentation());
    }
}
