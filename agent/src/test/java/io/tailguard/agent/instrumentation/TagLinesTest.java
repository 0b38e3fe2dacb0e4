package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.AttemptSpecs;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagLinesTest {

    private final AttemptSpec tags = AttemptSpecs.tagged(tags());

    private static Map<String, String> tags() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("X-Request-ID", "0f6c2b1e-7d4a-4c3b-9a1e-5b2d8c7f6e10");
        tags.put("X-Attempt", "1");
        tags.put("X-Is-Hedge", "false");
        return tags;
    }

    @Test
    void everyTagIsAHeaderLineInSendingOrder() {
        assertEquals("X-Request-ID: 0f6c2b1e-7d4a-4c3b-9a1e-5b2d8c7f6e10\r\nX-Attempt: 1\r\nX-Is-Hedge: false\r\n",
                new String(TagLines.of(tags), StandardCharsets.ISO_8859_1));
    }
}
