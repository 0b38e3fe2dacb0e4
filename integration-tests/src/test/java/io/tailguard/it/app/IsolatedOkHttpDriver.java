package io.tailguard.it.app;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@link OkHttpDriver} with OkHttp in a child {@link URLClassLoader}, the way a web application
 * server or a fat-jar launcher loads it: the loader holds the OkHttp jars of the directory in
 * {@code -Disolated.okhttp.dir} (not a {@code tailguard.*} name: those are the agent's configuration) and its own copy of the driver classes, and its parent is the
 * platform loader, so neither OkHttp nor this driver's copy is visible from the system class path
 * (which must not hold OkHttp at all). The application talks to it through reflection only.
 */
public abstract class IsolatedOkHttpDriver implements ClientDriver {

    private final Object driver;
    private final Method call;
    private final Method inspect;

    IsolatedOkHttpDriver(String driverClass) throws Exception {
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> jars = Files.list(Paths.get(System.getProperty("isolated.okhttp.dir")))) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                urls.add(jar.toUri().toURL());
            }
        }
        urls.add(IsolatedOkHttpDriver.class.getProtectionDomain().getCodeSource().getLocation());
        ClassLoader loader = new URLClassLoader("isolated-okhttp", urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        Class<?> type = Class.forName(driverClass, true, loader);
        driver = type.getDeclaredConstructor().newInstance();
        call = type.getMethod("call", Map.class);
        inspect = type.getMethod("inspect", Map.class);
    }

    @Override
    public Map<String, String> call(Map<String, String> command) throws Exception {
        return invoke(call, command);
    }

    @Override
    public Map<String, String> inspect(Map<String, String> command) throws Exception {
        Map<String, String> state = new LinkedHashMap<>(invoke(inspect, command));
        state.put("systemLoaderSeesOkHttp", Boolean.toString(visibleFromSystemLoader("okhttp3.OkHttpClient")));
        return state;
    }

    private static boolean visibleFromSystemLoader(String name) {
        try {
            Class.forName(name, false, ClassLoader.getSystemClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, String> invoke(Method method, Map<String, String> command) throws Exception {
        try {
            return (Map<String, String>) method.invoke(driver, command);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    /** {@code Call.execute()} with OkHttp in the child loader. */
    public static final class Execute extends IsolatedOkHttpDriver {
        public Execute() throws Exception {
            super("io.tailguard.it.app.OkHttpDriver$Execute");
        }
    }

    /** {@code Call.enqueue()} with OkHttp in the child loader. */
    public static final class Enqueue extends IsolatedOkHttpDriver {
        public Enqueue() throws Exception {
            super("io.tailguard.it.app.OkHttpDriver$Enqueue");
        }
    }

    static {
        // Fails fast, with a clear message, when a test forgot to keep OkHttp off the class path.
        if (visibleFromSystemLoader("okhttp3.OkHttpClient")) {
            throw new IllegalStateException("OkHttp is on the system class path: the child loader would not be tested");
        }
    }
}
