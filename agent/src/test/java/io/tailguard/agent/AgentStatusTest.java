package io.tailguard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.HookTransformer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentStatusTest {

    private final List<String> heard = new ArrayList<>();

    @AfterEach
    void clear() {
        System.clearProperty(AgentStatus.PROPERTY);
    }

    @Test
    void publishesWhichClientsAreHookedAndFollowsLaterLoadsAndConfigurations() {
        System.clearProperty(AgentStatus.PROPERTY);
        AgentStatus status = new AgentStatus(listener(), List.of(client("jdk", "a/Client"), client("okhttp", "b/Call"),
                client("apache4", "c/Http")), List.of("jdk", "okhttp"));

        status.transformed("a/Client");
        assertNull(System.getProperty(AgentStatus.PROPERTY), "nothing is published before the agent is installed");
        status.publish("/etc/t.properties", "enforce");
        assertEquals("version=unknown; config=/etc/t.properties; state=enforce; clients=jdk hooked, "
                + "okhttp not-loaded, apache4 off", System.getProperty(AgentStatus.PROPERTY));

        status.failed("b/Call", new IllegalStateException("test"));
        status.transformed("some/Other");
        AgentStatus.configured("/etc/t.properties", "off (tailguard.enabled=false)");
        assertEquals("version=unknown; config=/etc/t.properties; state=off (tailguard.enabled=false); clients=jdk "
                + "hooked, okhttp failed, apache4 off", System.getProperty(AgentStatus.PROPERTY));
        AgentStatus.premainTook(38_240_000L);
        assertTrue(System.getProperty(AgentStatus.PROPERTY).endsWith("apache4 off; premain=38.2 ms"),
                System.getProperty(AgentStatus.PROPERTY));
        assertEquals(List.of("transformed a/Client", "failed b/Call", "transformed some/Other"), heard,
                "the agent's own listener still hears every class");
    }

    private HookTransformer.Listener listener() {
        return new HeardListener(heard);
    }

    private static ClientInstrumentation client(String name, String type) {
        return new ClientInstrumentation() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<Hook> hooks() {
                return List.of(new Hook(type, "send", "()V", 0));
            }

            @Override
            public void install(Engine engine) {
            }
        };
    }

    @Test
    void premainIsWrittenInMillisecondsWithOneDecimal() {
        assertEquals("38.2", AgentStatus.tenths(38_240_000L));
        assertEquals("38.3", AgentStatus.tenths(38_250_000L));
        assertEquals("0.0", AgentStatus.tenths(40_000L));
        assertEquals("0.1", AgentStatus.tenths(50_000L));
        assertEquals("100.0", AgentStatus.tenths(99_960_000L));
        assertEquals("1234.5", AgentStatus.tenths(1_234_500_000L));
    }

}
