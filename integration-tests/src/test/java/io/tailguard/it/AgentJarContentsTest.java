package io.tailguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
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
            "META-INF/(MANIFEST\\.MF|LICENSE|THIRD-PARTY\\.txt|licenses/[A-Za-z0-9-]+\\.txt|tailguard/.*"
                    + "|services/io\\.tailguard\\..*)");
    /**
     * Where each relocated package came from (the longest prefix wins): every relocated class must be
     * accounted for here, and its group must be listed in META-INF/THIRD-PARTY.txt.
     */
    private static final Map<String, String> RELOCATED_FROM = Map.of(
            "io/tailguard/shaded/asm/", "org.ow2.asm",
            "io/tailguard/shaded/slf4j/", "org.slf4j",
            "io/tailguard/shaded/micrometer/", "io.micrometer",
            "io/tailguard/shaded/prometheus/", "io.prometheus",
            "io/tailguard/shaded/hdrhistogram/", "org.hdrhistogram",
            "io/tailguard/shaded/otlp/", "io.opentelemetry.proto",
            "io/tailguard/shaded/protobuf/", "com.google.protobuf",
            "io/tailguard/shaded/latencyutils/", "org.latencyutils",
            "io/tailguard/shaded/bytebuddy/", "net.bytebuddy");
    private static final Pattern NOTICE_ENTRY = Pattern.compile(
            "(?m)^artifact: ([\\w.-]+):([\\w.-]+):([\\w.-]+)\\n  name: .+\\n  licence: (.+)\\n");
    /** A reference to a library class at its original name: a class constant or a type descriptor. */
    private static final Pattern UNRELOCATED = Pattern.compile(
            "(^|[^a-z.])(io/micrometer|io/prometheus|org/HdrHistogram|org/LatencyUtils|org/slf4j|org/objectweb"
                    + "|io/opentelemetry|com/google/protobuf|net/bytebuddy)/");

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
        // About 1 MB of the agent's own classes (stored, not deflated), 0.1 MB of ASM, 1 MB of
        // Micrometer with the Prometheus client, 2 MB of the OpenTelemetry protocol and protobuf for
        // the OTLP push (loaded only when configured) and 0.3 MB of the jar's own headers; the rest
        // is room for a small library such as the attach support, not for another protobuf.
        long size = Paths.get(System.getProperty("tailguard.agent.jar")).toFile().length();
        assertTrue(size < 5_100_000, size + " bytes");
    }

    /**
     * The classes premain, the engine and the first rewrite load are stored, not deflated, so that
     * each is read without an inflater; the libraries loaded later stay deflated: the metrics
     * exports', and ASM's, which no client's rewriting loads at startup. The manifest comes first,
     * where a {@code JarInputStream} looks for it.
     */
    @Test
    void storesTheClassesStartupLoadsAndCompressesTheLibrariesLoadedLater() throws IOException {
        List<String> deflated = new ArrayList<>();
        int stored = 0;
        int compressedLibraryClasses = 0;
        int compressedAsmClasses = 0;
        List<String> storedAsm = new ArrayList<>();
        try (ZipFile jar = new ZipFile(System.getProperty("tailguard.agent.jar"))) {
            assertEquals("META-INF/MANIFEST.MF", jar.entries().nextElement().getName());
            for (Enumeration<? extends ZipEntry> entries = jar.entries(); entries.hasMoreElements();) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                boolean startup = name.endsWith(".class") && name.startsWith("io/tailguard/agent/")
                        || name.equals("META-INF/tailguard/tailguard-bootstrap.jar");
                if (startup && entry.getMethod() == ZipEntry.STORED) {
                    stored++;
                } else if (startup) {
                    deflated.add(name);
                } else if (name.startsWith("io/tailguard/shaded/micrometer/") && entry.getMethod() == ZipEntry.DEFLATED) {
                    compressedLibraryClasses++;
                } else if (name.startsWith("io/tailguard/shaded/asm/") && entry.getMethod() == ZipEntry.DEFLATED) {
                    compressedAsmClasses++;
                } else if (name.startsWith("io/tailguard/shaded/asm/")) {
                    storedAsm.add(name);
                }
            }
        }
        assertEquals(List.of(), deflated);
        assertTrue(stored > 200, stored + " stored");
        assertTrue(compressedLibraryClasses > 100, compressedLibraryClasses + " of Micrometer's classes deflated");
        assertEquals(List.of(), storedAsm);
        assertTrue(compressedAsmClasses > 20, compressedAsmClasses + " of ASM's classes deflated");
    }

    @Test
    void carriesTheProjectsLicenceAndNamesEveryRelocatedLibraryWithItsVersionAndLicence() throws IOException {
        Path jarPath = Paths.get(System.getProperty("tailguard.agent.jar"));
        Path projectLicence = jarPath.toAbsolutePath().getParent().getParent().getParent().resolve("LICENSE");
        Set<String> relocatedGroups = new TreeSet<>();
        List<String> unaccounted = new ArrayList<>();
        String notices;
        try (ZipFile jar = new ZipFile(jarPath.toFile())) {
            assertEquals(Files.readString(projectLicence), read(jar, "META-INF/LICENSE"));
            assertTrue(read(jar, "META-INF/LICENSE").contains("Apache License\n                           Version 2.0"));
            notices = read(jar, "META-INF/THIRD-PARTY.txt");
            for (Enumeration<? extends ZipEntry> entries = jar.entries(); entries.hasMoreElements();) {
                String name = entries.nextElement().getName();
                if (!name.startsWith("io/tailguard/shaded/") || !name.endsWith(".class")) {
                    continue;
                }
                String group = null;
                int longest = 0;
                for (Map.Entry<String, String> origin : RELOCATED_FROM.entrySet()) {
                    if (name.startsWith(origin.getKey()) && origin.getKey().length() > longest) {
                        group = origin.getValue();
                        longest = origin.getKey().length();
                    }
                }
                if (group == null) {
                    unaccounted.add(name);
                } else {
                    relocatedGroups.add(group);
                }
            }
            for (String file : List.of("asm-LICENSE.txt", "slf4j-LICENSE.txt", "HdrHistogram-LICENSE.txt",
                    "micrometer-NOTICE.txt")) {
                assertTrue(read(jar, "META-INF/licenses/" + file).length() > 500, file);
            }
        }
        assertEquals(List.of(), unaccounted, "relocated classes whose origin is not known");

        Set<String> listedGroups = new TreeSet<>();
        Matcher entry = NOTICE_ENTRY.matcher(notices);
        while (entry.find()) {
            listedGroups.add(entry.group(1));
            assertTrue(entry.group(3).matches("\\d+(\\.\\d+)+.*"), "a version: " + entry.group());
            assertTrue(entry.group(4).matches("(Apache-2\\.0|MIT|BSD-[23]-Clause)(; .+)?"), "a known licence: "
                    + entry.group());
        }
        assertTrue(listedGroups.containsAll(relocatedGroups), "relocated " + relocatedGroups + ", listed "
                + listedGroups + ":\n" + notices);
        assertTrue(notices.contains("artifact: org.ow2.asm:asm:"), notices);
        assertTrue(notices.contains("artifact: io.micrometer:micrometer-core:"), notices);
        assertTrue(notices.contains("artifact: org.slf4j:slf4j-simple:"), notices);
    }

    private static String read(ZipFile jar, String name) throws IOException {
        ZipEntry entry = jar.getEntry(name);
        assertTrue(entry != null, name + " is in the jar");
        try (InputStream in = jar.getInputStream(entry)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
