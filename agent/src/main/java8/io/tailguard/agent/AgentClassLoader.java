package io.tailguard.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.util.Collections;
import java.util.Enumeration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Loads the agent's own classes (all but {@link TailguardAgent} and this one) straight from the
 * agent jar, before asking its parent, the system class loader.
 *
 * <p>The JVM appends the agent jar to the end of the system class path, after every jar of the
 * application's; there each of the agent's classes would be looked for in all of those jars first
 * (in a multi-release jar, once per Java version it has entries for). With 150 jars on the class
 * path, a quarter of them multi-release, that made premain 18 ms slower, and every class loaded
 * after it as well ({@code benchmarks/run startup}). Here a class is one lookup in one jar.
 *
 * <p>It also keeps the agent to itself: the packages of the JDK the agent opens for its own use
 * (the JDK client's and {@code HttpURLConnection}'s internals) are opened to this loader's
 * unnamed module, not to the application's class path.
 *
 * <p>It defines names under {@code io.tailguard.} that the jar holds; the bootstrap classes
 * ({@code io.tailguard.bootstrap.}), anything the jar lacks, and everything else come from the
 * parent. Compiled for Java 8 with {@link TailguardAgent}, which names it, but used only on a Java
 * the agent supports.
 */
final class AgentClassLoader extends ClassLoader {

    static {
        registerAsParallelCapable();
    }

    private static final String OWN = "io.tailguard.";
    private static final String BOOTSTRAP = "io.tailguard.bootstrap.";
    private static final String OWN_PATH = "io/tailguard/";
    private static final String BOOTSTRAP_PATH = "io/tailguard/bootstrap/";
    private static final String OWN_META_INF = "META-INF/tailguard/";

    private final JarFile jar;
    /** {@code jar:<the jar's URL>!/}, which a resource's name completes. */
    private final String jarUrl;
    private final ProtectionDomain domain;
    private final Attributes manifest;
    private final ConcurrentHashMap<String, Boolean> definedPackages = new ConcurrentHashMap<String, Boolean>();

    AgentClassLoader(File file, ProtectionDomain domain, ClassLoader parent) throws IOException {
        super(parent);
        this.jar = new JarFile(file, false);
        this.jarUrl = "jar:" + file.toURI().toURL().toExternalForm() + "!/";
        this.domain = domain;
        Manifest read = jar.getManifest();
        this.manifest = read == null ? new Attributes() : read.getMainAttributes();
    }

    /**
     * A loader for the classes of the jar {@code entry} was loaded from, or {@code entry}'s own class
     * loader where that is not a local jar file (the agent's tests run from a directory of classes)
     * or the jar cannot be opened.
     */
    static ClassLoader forJarOf(Class<?> entry) {
        ClassLoader own = entry.getClassLoader();
        try {
            ProtectionDomain domain = entry.getProtectionDomain();
            CodeSource source = domain.getCodeSource();
            URL location = source == null ? null : source.getLocation();
            if (location == null || !"file".equals(location.getProtocol())) {
                return own;
            }
            File file = new File(location.toURI());
            return file.isFile() ? new AgentClassLoader(file, domain, own) : own;
        } catch (Exception unusual) {
            return own;
        }
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(OWN) || name.startsWith(BOOTSTRAP)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> type = findLoadedClass(name);
            if (type == null) {
                type = defineFromJar(name);
                if (type == null) {
                    return super.loadClass(name, resolve);
                }
            }
            if (resolve) {
                resolveClass(type);
            }
            return type;
        }
    }

    /** The class as the jar holds it, defined here; {@code null} if the jar has no such class. */
    private Class<?> defineFromJar(String name) throws ClassNotFoundException {
        JarEntry entry = jar.getJarEntry(name.replace('.', '/').concat(".class"));
        if (entry == null) {
            return null;
        }
        byte[] bytes;
        try {
            bytes = read(entry);
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
        definePackageOf(name);
        return defineClass(name, bytes, 0, bytes.length, domain);
    }

    /** The entry's bytes: a jar's central directory gives every entry's size. */
    private byte[] read(JarEntry entry) throws IOException {
        long size = entry.getSize();
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IOException(entry.getName() + " has no size in the jar's directory");
        }
        byte[] bytes = new byte[(int) size];
        InputStream in = jar.getInputStream(entry);
        try {
            int length = 0;
            while (length < bytes.length) {
                int n = in.read(bytes, length, bytes.length - length);
                if (n < 0) {
                    throw new IOException(entry.getName() + " ends after " + length + " of its " + size + " bytes");
                }
                length += n;
            }
            return bytes;
        } finally {
            in.close();
        }
    }

    /** The class's package, with the jar's manifest (the agent's version), as a jar's class loader defines it. */
    private void definePackageOf(String className) {
        int dot = className.lastIndexOf('.');
        String name = className.substring(0, dot);
        if (definedPackages.containsKey(name)) {
            return;
        }
        try {
            definePackage(name, manifest.getValue(Attributes.Name.SPECIFICATION_TITLE),
                    manifest.getValue(Attributes.Name.SPECIFICATION_VERSION),
                    manifest.getValue(Attributes.Name.SPECIFICATION_VENDOR),
                    manifest.getValue(Attributes.Name.IMPLEMENTATION_TITLE),
                    manifest.getValue(Attributes.Name.IMPLEMENTATION_VERSION),
                    manifest.getValue(Attributes.Name.IMPLEMENTATION_VENDOR), null);
        } catch (IllegalArgumentException definedMeanwhile) {
            // Another thread defined it first.
        }
        definedPackages.put(name, Boolean.TRUE);
    }

    /** The agent's own resources come from its jar first, like its classes. */
    private static boolean ownResource(String name) {
        return name.startsWith(OWN_PATH) && !name.startsWith(BOOTSTRAP_PATH) || name.startsWith(OWN_META_INF);
    }

    @Override
    public URL getResource(String name) {
        if (ownResource(name)) {
            URL own = findResource(name);
            if (own != null) {
                return own;
            }
        }
        return super.getResource(name);
    }

    /** Read from the jar without a {@code jar:} URL connection, which would load some twenty JDK classes. */
    @Override
    public InputStream getResourceAsStream(String name) {
        if (ownResource(name)) {
            JarEntry entry = jar.getJarEntry(name);
            if (entry != null) {
                try {
                    return jar.getInputStream(entry);
                } catch (IOException unreadable) {
                    return null;
                }
            }
        }
        return super.getResourceAsStream(name);
    }

    @Override
    protected URL findResource(String name) {
        if (jar.getJarEntry(name) == null) {
            return null;
        }
        try {
            return new URL(jarUrl + name);
        } catch (MalformedURLException unusual) {
            return null;
        }
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        URL url = findResource(name);
        return url == null ? Collections.<URL>emptyEnumeration() : Collections.enumeration(Collections.singletonList(url));
    }
}
