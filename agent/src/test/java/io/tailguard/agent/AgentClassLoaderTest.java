package io.tailguard.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.tailguard.agent.engine.AttemptKind;
import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentClassLoaderTest {

    private static final String OWN_CLASS = AttemptKind.class.getName();

    @TempDir
    Path dir;

    @Test
    void definesTheAgentsClassesFromItsJarBeforeAskingItsParent() throws Exception {
        AgentClassLoader loader = loader();

        Class<?> own = Class.forName(OWN_CLASS, false, loader);

        assertSame(loader, own.getClassLoader());
        assertNotSame(AttemptKind.class, own, "the parent has the class too, and is not asked");
        assertSame(own, loader.loadClass(OWN_CLASS), "defined once");
        assertEquals("9.8.7", own.getPackage().getImplementationVersion(), "the package carries the jar's manifest");
    }

    @Test
    void leavesTheBootstrapClassesTheJdkAndWhatItsJarLacksToItsParent() throws Exception {
        AgentClassLoader loader = loader();

        assertSame(Dispatcher.class, loader.loadClass(Dispatcher.class.getName()), "in the jar, but a bootstrap class");
        assertSame(String.class, loader.loadClass("java.lang.String"));
        assertSame(AgentClassLoaderTest.class, loader.loadClass(AgentClassLoaderTest.class.getName()));
    }

    @Test
    void readsTheAgentsResourcesFromItsJar() throws Exception {
        AgentClassLoader loader = loader();

        try (InputStream in = loader.getResourceAsStream("io/tailguard/agent/note.txt")) {
            assertEquals("from the jar", new String(in.readAllBytes(), UTF_8));
        }
        URL url = loader.getResource("io/tailguard/agent/note.txt");
        try (InputStream in = url.openStream()) {
            assertEquals("from the jar", new String(in.readAllBytes(), UTF_8));
        }
        assertNull(loader.getResource("io/tailguard/agent/no-such-note.txt"));
    }

    @Test
    void isNotMadeForClassesOutsideAJar() {
        // This test's classes are a directory of classes, as the agent's own are in its tests.
        assertSame(AgentClassLoaderTest.class.getClassLoader(), AgentClassLoader.forJarOf(AgentClassLoaderTest.class));
    }

    private AgentClassLoader loader() throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "9.8.7");
        Path jar = dir.resolve("agent.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            put(out, classPath(AttemptKind.class), classFile(AttemptKind.class));
            put(out, classPath(Dispatcher.class), classFile(Dispatcher.class));
            put(out, "io/tailguard/agent/note.txt", "from the jar".getBytes(UTF_8));
        }
        return new AgentClassLoader(jar.toFile(), AttemptKind.class.getProtectionDomain(),
                AgentClassLoaderTest.class.getClassLoader());
    }

    private static String classPath(Class<?> type) {
        return type.getName().replace('.', '/') + ".class";
    }

    private static byte[] classFile(Class<?> type) throws IOException {
        try (InputStream in = type.getResourceAsStream("/" + classPath(type))) {
            return in.readAllBytes();
        }
    }

    private static void put(JarOutputStream out, String name, byte[] content) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(content);
        out.closeEntry();
    }
}
