package io.tailguard.agent.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.tailguard.agent.config.TailguardConfig.TaggingHeaders;
import io.tailguard.agent.config.TestConfigs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AttemptHeadersTest {

    @Test
    void readsLikeAnOrderedMapOfRequestIdAttemptHedgeAndTimeout() throws Exception {
        TaggingHeaders names = TestConfigs.parse("tailguard.policy.api.hosts=api").taggingHeaders();
        Map<String, String> headers = AttemptHeaders.of(names, "id-1", 12, true, 2_500);

        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("X-Request-ID", "id-1");
        expected.put("X-Attempt", "12");
        expected.put("X-Is-Hedge", "true");
        expected.put("X-Request-Timeout-Ms", "2500");
        assertEquals(expected, headers);
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(headers.keySet()), "sending order");
        List<String> walked = new ArrayList<>();
        headers.forEach((name, value) -> walked.add(name + "=" + value));
        assertEquals(List.of("X-Request-ID=id-1", "X-Attempt=12", "X-Is-Hedge=true", "X-Request-Timeout-Ms=2500"),
                walked);
        assertEquals("12", headers.get("X-Attempt"));
        assertNull(headers.get("x-attempt"), "names compare exactly, as a map's keys do");
    }

    @Test
    void leavesTheRequestIdOutWhenTheRequestHasItsOwnAndTheTimeoutWithoutADeadline() throws Exception {
        TaggingHeaders names = TestConfigs.parse("tailguard.policy.api.hosts=api").taggingHeaders();
        Map<String, String> headers = AttemptHeaders.of(names, null, 1, false, -1);

        assertEquals(2, headers.size());
        assertFalse(headers.containsKey("X-Request-ID"));
        assertEquals(List.of("X-Attempt", "X-Is-Hedge"), new ArrayList<>(headers.keySet()));
        assertEquals(Map.of("X-Attempt", "1", "X-Is-Hedge", "false"), headers);
    }

    @Test
    void reusesThePolicysTimeoutTextWhileTheMillisecondsStayTheSame() {
        MillisText timeouts = new MillisText();
        String first = timeouts.of(9_999);
        String second = timeouts.of(9_999);
        String other = timeouts.of(9_998);

        assertEquals("9999", first);
        assertSame(first, second, "no new string for the same milliseconds");
        assertEquals("9998", other);
    }
}
