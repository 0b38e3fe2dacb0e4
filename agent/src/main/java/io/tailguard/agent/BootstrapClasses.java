package io.tailguard.agent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.jar.JarFile;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Puts the bootstrap classes (the dispatcher and its interfaces) in the bootstrap class loader, where
 * every class loader can see them: the platform loader's {@code java.net.http} as much as a web
 * application's OkHttp. They ship inside the agent jar as a nested jar.
 *
 * <p>They are defined straight from memory, so that the agent writes nothing: a container with a
 * read-only root file system and no writable temporary directory is common. The JDK's only public
 * way, {@link Instrumentation#appendToBootstrapClassLoaderSearch}, needs a jar file on disk, and
 * appending to the bootstrap class path also makes the JVM turn class data sharing off for all but
 * the boot loader's classes ("Sharing is only supported for boot loader classes because bootstrap
 * classpath has been appended"). The JDK's internal {@code jdk.internal.misc.Unsafe.defineClass}
 * (Java 9 to 25 at least) defines a class in the bootstrap loader from bytes, as Byte Buddy's
 * {@code ClassInjector.UsingUnsafe} does (the OpenTelemetry agent instead appends its own jar to the
 * bootstrap class path, which puts all its classes there). Its package is not exported; the agent
 * exports it, through {@link Instrumentation#redefineModule}, only to a class loader of its own
 * holding one small class ({@link BootstrapDefiner}) that nothing else can reach, never to the
 * application's class path.
 *
 * <p>Should a JDK no longer offer it, the nested jar is written once to {@code java.io.tmpdir}
 * under a name that carries its checksum (JVMs starting together share one file; an upgraded agent
 * never picks up an old copy) and appended to the bootstrap class path, as before.
 */
final class BootstrapClasses {

    static final String RESOURCE = "/META-INF/tailguard/tailguard-bootstrap.jar";
    /** By name: a class literal would load it in the agent's own class loader too. */
    private static final String DEFINER = "io.tailguard.agent.BootstrapDefiner";
    private static final String DISPATCHER = "io.tailguard.bootstrap.Dispatcher";

    private BootstrapClasses() {
    }

    static void define(Instrumentation instrumentation) throws IOException {
        if (definedAlready()) {
            return;
        }
        byte[] jar = read(BootstrapClasses.class, RESOURCE);
        Throwable inMemory;
        try {
            defineInMemory(instrumentation, classes(jar));
            return;
        } catch (Throwable failure) {
            inMemory = failure;
        }
        try {
            appendJar(instrumentation, jar);
            Log.debug("bootstrap classes: defined from a file, not in memory (" + inMemory + ")");
        } catch (IOException | RuntimeException failure) {
            failure.addSuppressed(inMemory);
            throw new IOException("the bootstrap classes could neither be defined in memory (" + inMemory
                    + ") nor written to java.io.tmpdir (" + failure + ")", failure);
        }
    }

    private static void defineInMemory(Instrumentation instrumentation, Map<String, byte[]> classes) throws Exception {
        IsolatedLoader loader = new IsolatedLoader();
        byte[] definerBytes = read(BootstrapClasses.class, "/" + DEFINER.replace('.', '/') + ".class");
        Class<?> definerClass = loader.define(DEFINER, definerBytes);
        Module javaBase = Object.class.getModule();
        instrumentation.redefineModule(javaBase, Collections.<Module>emptySet(),
                Collections.singletonMap("jdk.internal.misc", Collections.singleton(loader.getUnnamedModule())),
                Collections.<String, Set<Module>>emptyMap(), Collections.<Class<?>>emptySet(),
                Collections.<Class<?>, java.util.List<Class<?>>>emptyMap());
        @SuppressWarnings("unchecked")
        BiFunction<String, byte[], Class<?>> definer =
                (BiFunction<String, byte[], Class<?>>) definerClass.getConstructor().newInstance();
        // All of them before any is used: a class's static initialiser may need the others.
        for (Map.Entry<String, byte[]> entry : classes.entrySet()) {
            definer.apply(entry.getKey(), entry.getValue());
        }
    }

    /** Whether an earlier start in this JVM (from another class loader) defined them. */
    private static boolean definedAlready() {
        try {
            Class.forName(DISPATCHER, false, null);
            return true;
        } catch (ClassNotFoundException notYet) {
            return false;
        }
    }

    /**
     * The classes of the nested jar by binary name, read as the zip file it is: a {@code
     * JarInputStream} would also parse its manifest and prepare to verify signatures it does not have.
     */
    private static Map<String, byte[]> classes(byte[] jar) throws IOException {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                String name = entry.getName();
                if (name.endsWith(".class") && !name.endsWith("module-info.class")) {
                    classes.put(name.substring(0, name.length() - ".class".length()).replace('/', '.'),
                            in.readAllBytes());
                }
            }
        }
        if (classes.isEmpty()) {
            throw new IOException(RESOURCE + " holds no classes");
        }
        return classes;
    }

    private static void appendJar(Instrumentation instrumentation, byte[] content) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(content);
        Path dir = Paths.get(System.getProperty("java.io.tmpdir"));
        Path target = dir.resolve("tailguard-bootstrap-" + Long.toHexString(crc.getValue()) + "-" + content.length + ".jar");
        if (!Files.isRegularFile(target) || !Arrays.equals(Files.readAllBytes(target), content)) {
            Path temporary = Files.createTempFile(dir, "tailguard-bootstrap-", ".tmp");
            try {
                Files.write(temporary, content);
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
        instrumentation.appendToBootstrapClassLoaderSearch(new JarFile(target.toFile()));
    }

    /**
     * An entry of the agent jar: {@link AgentClassLoader} reads it from the jar it holds open,
     * without the {@code jar:} URL connection (some twenty JDK classes on the startup path) a
     * resource of the system class loader would open. From a directory of classes (the agent's own
     * tests), as a resource of that loader.
     */
    static byte[] read(Class<?> owner, String resource) throws IOException {
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is missing from the agent jar");
            }
            return in.readAllBytes();
        }
    }

    /**
     * Holds {@link BootstrapDefiner} alone, so that the export of {@code jdk.internal.misc} reaches
     * that class only. Its parent is the bootstrap loader: the definer sees nothing but the JDK.
     */
    private static final class IsolatedLoader extends ClassLoader {
        IsolatedLoader() {
            super("tailguard-bootstrap-definer", null);
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}
