package io.tailguard.agent;

import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.HookTransformer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the running agent says about itself to an operator's {@code attach} and {@code list}: the
 * system property {@value #PROPERTY}, which the attach API reads from outside the JVM without
 * running any code in it. One line, for example
 * {@code version=0.1.0; config=/etc/app/tailguard.properties; state=enforce; clients=jdk hooked,
 * okhttp hooked, apache4 not-loaded, apache5 off, apache5-async not-loaded; premain=38.2 ms}.
 *
 * <p>A client is {@code hooked} once one of its classes was rewritten (classes loaded before the
 * agent when it installs, the others when the application first loads them), {@code not-loaded}
 * while none of its classes has been loaded (it will be hooked when one is), {@code off} when
 * {@code tailguard.instrumentation.<name>.enabled=false}, and {@code failed} when its classes
 * could not be rewritten (its requests then pass through).
 *
 * <p>{@code premain} is how long the agent took to install when the JVM started (from entering
 * {@code premain} to returning from it), absent after an attach: what the agent adds to startup
 * before the application's {@code main} runs. What the first handled request adds on top (loading
 * the engine's and the adapter's classes) is not in it.
 */
public final class AgentStatus implements HookTransformer.Listener {

    public static final String PROPERTY = "io.tailguard.agent.status";

    private static volatile AgentStatus current;

    private final HookTransformer.Listener delegate;
    private final String version;
    private final Map<String, String> clientByType = new HashMap<>();
    private final Map<String, String> clientStates = new LinkedHashMap<>();
    private String config;
    private String state;
    private String premain;

    AgentStatus(HookTransformer.Listener delegate, List<ClientInstrumentation> clients, List<String> enabled) {
        this.delegate = delegate;
        String v = AgentStatus.class.getPackage().getImplementationVersion();
        this.version = v == null ? "unknown" : v;
        for (ClientInstrumentation client : clients) {
            clientStates.put(client.name(), enabled.contains(client.name()) ? "not-loaded" : "off");
            for (Hook hook : client.hooks()) {
                clientByType.put(hook.type(), client.name());
            }
        }
    }

    /** Makes this the published status; until then nothing is published. */
    void publish(String configFile, String configState) {
        current = this;
        configured(configFile, configState);
    }

    /**
     * Records which configuration is in force, and publishes it: {@code configFile} is the file's
     * path or {@code null}, {@code configState} e.g. {@code enforce}, {@code shadow}, {@code off}.
     * Does nothing when the agent is not installed in this JVM.
     */
    static void configured(String configFile, String configState) {
        AgentStatus status = current;
        if (status != null) {
            synchronized (status) {
                status.config = configFile == null ? "none" : configFile;
                status.state = configState;
                status.write();
            }
        }
    }

    /** Records how long premain took, and publishes it. Does nothing when the agent is not installed. */
    static void premainTook(long nanos) {
        AgentStatus status = current;
        if (status != null) {
            synchronized (status) {
                status.premain = tenths(nanos) + " ms";
                status.write();
            }
        }
    }

    /**
     * Milliseconds with one decimal, e.g. {@code 38.2}, without {@code String.format}: its first
     * use loads the locale data (some 20 ms), on the startup path the status measures.
     */
    static String tenths(long nanos) {
        long tenths = Math.round(nanos / 1e5);
        return tenths / 10 + "." + tenths % 10;
    }

    @Override
    public void transformed(String type) {
        delegate.transformed(type);
        mark(type, "hooked");
    }

    @Override
    public void failed(String type, Throwable failure) {
        delegate.failed(type, failure);
        mark(type, "failed");
    }

    private synchronized void mark(String type, String clientState) {
        String client = clientByType.get(type);
        // A client with one class hooked is hooked, whatever happened to another of its classes.
        if (client != null && !"hooked".equals(clientStates.get(client))) {
            clientStates.put(client, clientState);
            if (current == this) {
                write();
            }
        }
    }

    private void write() {
        StringBuilder text = new StringBuilder();
        text.append("version=").append(version).append("; config=").append(config).append("; state=").append(state)
                .append("; clients=");
        String separator = "";
        for (Map.Entry<String, String> client : clientStates.entrySet()) {
            text.append(separator).append(client.getKey()).append(' ').append(client.getValue());
            separator = ", ";
        }
        if (premain != null) {
            text.append("; premain=").append(premain);
        }
        System.setProperty(PROPERTY, text.toString());
    }
}
