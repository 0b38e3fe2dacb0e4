package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The agent jar sits on the application's system class path: every class and resource in it must
 * be the agent's own or relocated, or it would shadow (or be shadowed by) the application's copy.
 */
class AgentJarContentsTest {

    private static final Pattern ALLOWED_RESOURCE = Pattern.compile(
            "META-INF/(MANIFEST\\.MF|LICENSE|LICENSE\\.txt|NOTICE|tailguard/.*|services/io\\.tailguard\\..*)");
    /** A reference to a library class at its original name: a class constant or a type descriptor. */
    private static final Pattern UNRELOCATED = Pattern.compile(
            "(^|[^a-z.])(io/micrometer|io/prometheus|org/HdrHistogram|org/LatencyUtils|org/slf4j|org/objectweb|net/bytebuddy)/");

    @Test
    void holdsOnlyTheAgentsOwnAndRelocatedClassesAndNoResourceAnApplicationCouldPickUp() throws IOException {
        List<String> strays = new ArrayList<>();
        List<String> unrelocated = new ArrayList<>();
        int micrometerClasses = 0;
        try (ZipFile jar = new ZipFile(System.getProperty("tailguard.agent.jar"))) {
            for (Enumeration<? extends ZipEntry> entries = jar.entries(); entries.hasMoreElements();) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                if (entry.isDirectory()) {
                    continue;
                }
                if (name.endsWith(".class")) {
                    if (!name.startsWith("io/tailguard/")) {
                        strays.add(name);
                    }
                    if (name.startsWith("io/tailguard/shaded/micrometer/")) {
                        micrometerClasses++;
                    }
                    try (InputStream in = jar.getInputStream(entry)) {
                        String text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                        if (UNRELOCATED.matcher(text).find()) {
                            unrelocated.add(name);
                        }
                    }
                } else if (!ALLOWED_RESOURCE.matcher(name).matches()) {
                    strays.add(name);
                }
            }
        }
        assertEquals(List.of(), strays);
        assertEquals(List.of(), unrelocated);
        assertTrue(micrometerClasses > 100, "Micrometer is shaded in: " + micrometerClasses + " classes");
        assertTrue(Paths.get(System.getProperty("tailguard.agent.jar")).toFile().length() < 2_000_000);
    }
}
