package io.tailguard.bench.overhead;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes the agent jar of {@link io.tailguard.bench.overhead.bytebuddy.ByteBuddyHooksAgent}, taken
 * from the benchmarks jar: the agent class, Byte Buddy, and beside it a bootstrap jar with the
 * dispatcher facade (named by {@code Boot-Class-Path}, as Tailguard appends its own), so that its
 * JVM loads only what such an agent would ship; and the jars of an agent that does nothing
 * ({@link io.tailguard.bench.overhead.empty.EmptyAgent}) and of one that only registers a transformer
 * ({@link io.tailguard.bench.overhead.empty.IdleTransformerAgent}).
 */
final class ByteBuddyHooksJar {

    private static final String AGENT_PACKAGE = "io/tailguard/bench/overhead/bytebuddy/";
    private static final String EMPTY_PACKAGE = "io/tailguard/bench/overhead/empty/";
    private static final String BOOTSTRAP_JAR = "bytebuddy-hooks-bootstrap.jar";

    private ByteBuddyHooksJar() {
    }

    /** @return the agent jar, written into {@code dir} from the classes in {@code benchmarksJar} */
    static Path write(Path benchmarksJar, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path agent = dir.resolve("bytebuddy-hooks-agent.jar");
        Manifest agentManifest = manifest();
        Attributes main = agentManifest.getMainAttributes();
        main.putValue("Premain-Class", AGENT_PACKAGE.replace('/', '.') + "ByteBuddyHooksAgent");
        main.putValue("Can-Retransform-Classes", "true");
        main.putValue("Boot-Class-Path", BOOTSTRAP_JAR);
        main.putValue("Multi-Release", "true");
        try (JarFile source = new JarFile(benchmarksJar.toFile())) {
            copy(source, agent, agentManifest, "net/bytebuddy/", AGENT_PACKAGE);
            copy(source, dir.resolve(BOOTSTRAP_JAR), manifest(), "io/tailguard/bootstrap/");
        }
        return agent;
    }

    /** @return the jar of the agent that does nothing, written into {@code dir} */
    static Path writeEmpty(Path benchmarksJar, Path dir) throws IOException {
        return writeSmall(benchmarksJar, dir.resolve("empty-agent.jar"), "EmptyAgent", false);
    }

    /**
     * @return the jar of the agent that only registers a transformer which changes nothing
     *     ({@link io.tailguard.bench.overhead.empty.IdleTransformerAgent}), written into {@code dir};
     *     its manifest lets it retransform, as Tailguard's does
     */
    static Path writeIdleTransformer(Path benchmarksJar, Path dir) throws IOException {
        return writeSmall(benchmarksJar, dir.resolve("idle-transformer-agent.jar"), "IdleTransformerAgent", true);
    }

    private static Path writeSmall(Path benchmarksJar, Path agent, String agentClass, boolean retransforms)
            throws IOException {
        Files.createDirectories(agent.getParent());
        Manifest manifest = manifest();
        manifest.getMainAttributes().putValue("Premain-Class", EMPTY_PACKAGE.replace('/', '.') + agentClass);
        if (retransforms) {
            manifest.getMainAttributes().putValue("Can-Retransform-Classes", "true");
        }
        try (JarFile source = new JarFile(benchmarksJar.toFile())) {
            copy(source, agent, manifest, EMPTY_PACKAGE + agentClass);
        }
        return agent;
    }

    private static Manifest manifest() {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        return manifest;
    }

    /** Copies the entries under {@code prefixes}, also their multi-release versions. */
    private static void copy(JarFile source, Path target, Manifest manifest, String... prefixes) throws IOException {
        try (OutputStream file = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(file, manifest)) {
            for (Enumeration<JarEntry> entries = source.entries(); entries.hasMoreElements();) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                String unversioned = name.startsWith("META-INF/versions/")
                        ? name.substring(name.indexOf('/', "META-INF/versions/".length()) + 1) : name;
                if (entry.isDirectory() || !startsWithAny(unversioned, prefixes)) {
                    continue;
                }
                jar.putNextEntry(new JarEntry(name));
                try (InputStream in = source.getInputStream(entry)) {
                    in.transferTo(jar);
                }
                jar.closeEntry();
            }
        }
    }

    private static boolean startsWithAny(String name, String[] prefixes) {
        for (String prefix : prefixes) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
