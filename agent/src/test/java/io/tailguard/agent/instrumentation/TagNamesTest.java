package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TagNamesTest {

    @Test
    void aNameTheClientSetsItselfOrThatIsNotPlainIsNotWritableWhateverItsCase() {
        TagNames names = TagNames.noneOf(List.of("host", "user-agent"));
        assertTrue(names.writable("X-Request-ID"));
        assertFalse(names.writable("Host"));
        assertFalse(names.writable("USER-AGENT"));
        assertFalse(names.writable("X-Tag\r\nInjected"));
        assertFalse(names.writable("X-Ünicode"));
    }

    @Test
    void eachNameIsJudgedOnceWhicheverTheVerdict() {
        List<String> judged = new ArrayList<>();
        TagNames names = new TagNames(name -> {
            judged.add(name);
            return !name.equals("Cookie");
        });
        String attempt = "X-Attempt";
        String cookie = "Cookie";
        for (int i = 0; i < 3; i++) {
            assertTrue(names.writable(attempt));
            assertFalse(names.writable(cookie));
        }
        assertEquals(List.of("X-Attempt", "Cookie"), judged);
    }

    @Test
    void anEqualNameThatIsAnotherStringIsJudgedAgainWithTheSameVerdict() {
        List<String> judged = new ArrayList<>();
        TagNames names = new TagNames(name -> judged.add(name));
        assertTrue(names.writable("X-Attempt"));
        assertTrue(names.writable(new String("X-Attempt")));
        assertEquals(2, judged.size());
    }

    @Test
    void namesOfManyReloadsLaterAreStillRememberedOnceTheFirstOnesFillTheMemory() {
        List<String> judged = new ArrayList<>();
        TagNames names = new TagNames(name -> judged.add(name));
        for (int reload = 0; reload < 20; reload++) {
            assertTrue(names.writable(new String("X-Attempt")));
        }
        String current = new String("X-Attempt");
        assertTrue(names.writable(current));
        assertTrue(names.writable(current));
        assertEquals(21, judged.size(), "each new string judged once, the current one once");
    }
}
