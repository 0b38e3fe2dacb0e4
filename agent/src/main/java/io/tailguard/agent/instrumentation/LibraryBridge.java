package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.Engine;
import io.tailguard.bootstrap.CallInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.UnaryOperator;

/**
 * Runs adapter code compiled against a client library (OkHttp, Apache HttpClient) inside the class
 * loader that loaded that library, whichever it is: the system class loader, a Spring Boot fat-jar
 * loader, a Tomcat web application loader. For each such loader the adapter package's classes are
 * defined afresh in a small child loader, {@link AdapterClassLoader}, which resolves the library's
 * classes from its parent (the library's loader) and the agent's own classes (engine, config,
 * relocated dependencies) from the agent's loader. No reflection, no injection into someone
 * else's loader, and the adapters are plain Java compiled against the real client API.
 *
 * <p>One adapter per library loader, shared by every hooked class it loaded (a client's call, its
 * exec runtime, its builder): the adapter's state is the same whichever hook reaches it, and its
 * classes are defined once. The hooked classes hold it, in a {@link ClassValue}, so it lives as
 * long as they and their loader do and never keeps an undeployed web application alive; the
 * table by loader holds it weakly.
 */
public final class LibraryBridge {

    private final String adapterPackage;
    private final String entryClass;
    private final Engine engine;
    private final UnaryOperator<byte[]> classFiles;
    private final ClassValue<SlotInterceptor> adapters = new ClassValue<SlotInterceptor>() {
        @Override
        protected SlotInterceptor computeValue(Class<?> hooked) {
            return forLoader(hooked.getClassLoader());
        }
    };
    /** Guarded by itself. */
    private final Map<ClassLoader, WeakReference<SlotInterceptor>> byLoader = new WeakHashMap<>();

    /**
     * @param entryClass a class in {@code adapterPackage} implementing {@link SlotInterceptor}
     *     with a public constructor taking the {@link Engine}
     */
    public LibraryBridge(String adapterPackage, String entryClass, Engine engine) {
        this(adapterPackage, entryClass, engine, UnaryOperator.identity());
    }

    /**
     * @param classFiles applied to each adapter class file before it is defined: the same adapter
     *     renamed for another namespace of the library's API (the Servlet adapter for {@code javax})
     */
    public LibraryBridge(String adapterPackage, String entryClass, Engine engine, UnaryOperator<byte[]> classFiles) {
        this.classFiles = classFiles;
        this.adapterPackage = adapterPackage.endsWith(".") ? adapterPackage : adapterPackage + ".";
        this.entryClass = entryClass;
        this.engine = engine;
        if (!entryClass.startsWith(this.adapterPackage)) {
            throw new IllegalArgumentException(entryClass + " is not in " + adapterPackage);
        }
    }

    /** Puts an interceptor into {@code slot} that dispatches to the adapter of the hooked class's loader. */
    public void install(int slot) {
        Dispatcher.install(slot, new Bridged(slot));
    }

    /** The adapter for the loader of {@code hooked}, created on first use. */
    public SlotInterceptor adapterFor(Class<?> hooked) {
        return adapters.get(hooked);
    }

    /**
     * The loader's adapter, made on first use. It is made outside the lock, whose holder would
     * otherwise load classes (and could wait on a class another thread is initialising, whose
     * initialiser calls a hooked method); of two made at once, the first one kept is used.
     */
    private SlotInterceptor forLoader(ClassLoader library) {
        SlotInterceptor known = known(library);
        if (known != null) {
            return known;
        }
        SlotInterceptor made = create(library);
        synchronized (byLoader) {
            SlotInterceptor first = known(library);
            if (first != null) {
                return first;
            }
            byLoader.put(library, new WeakReference<>(made));
            return made;
        }
    }

    private SlotInterceptor known(ClassLoader library) {
        synchronized (byLoader) {
            WeakReference<SlotInterceptor> entry = byLoader.get(library);
            return entry == null ? null : entry.get();
        }
    }

    private SlotInterceptor create(ClassLoader library) {
        ClassLoader agent = LibraryBridge.class.getClassLoader();
        AdapterClassLoader loader = new AdapterClassLoader(library, agent, adapterPackage, classFiles);
        try {
            Class<?> type = Class.forName(entryClass, true, loader);
            return (SlotInterceptor) type.getConstructor(Engine.class).newInstance(engine);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + entryClass + " for " + library, e);
        }
    }

    /** What the dispatcher calls: finds the adapter for the hooked object's class and delegates. */
    private final class Bridged implements CallInterceptor {
        private final int slot;

        Bridged(int slot) {
            this.slot = slot;
        }

        @Override
        public Object intercept(Object self, Object[] args) throws Exception {
            return adapterFor(self.getClass()).intercept(slot, self, args);
        }
    }

    /** Defines the adapter package in a child of the library's loader. */
    static final class AdapterClassLoader extends ClassLoader {

        static {
            registerAsParallelCapable();
        }

        private final ClassLoader agent;
        private final String adapterPackage;
        private final UnaryOperator<byte[]> classFiles;

        AdapterClassLoader(ClassLoader library, ClassLoader agent, String adapterPackage,
                UnaryOperator<byte[]> classFiles) {
            super(library);
            this.agent = agent;
            this.adapterPackage = adapterPackage;
            this.classFiles = classFiles;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> type = findLoadedClass(name);
                if (type == null) {
                    if (name.startsWith(adapterPackage)) {
                        type = define(name);
                    } else if (name.startsWith("io.tailguard.")) {
                        type = Class.forName(name, false, agent);
                    } else {
                        type = super.loadClass(name, false);
                    }
                }
                if (resolve) {
                    resolveClass(type);
                }
                return type;
            }
        }

        private Class<?> define(String name) throws ClassNotFoundException {
            String resource = name.replace('.', '/') + ".class";
            try (InputStream in = agent.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new ClassNotFoundException(name);
                }
                byte[] bytes = classFiles.apply(in.readAllBytes());
                ProtectionDomain domain = LibraryBridge.class.getProtectionDomain();
                return defineClass(name, bytes, 0, bytes.length, domain);
            } catch (IOException e) {
                throw new ClassNotFoundException(name, e);
            }
        }
    }
}
