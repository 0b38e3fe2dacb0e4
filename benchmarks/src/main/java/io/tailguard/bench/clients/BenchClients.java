package io.tailguard.bench.clients;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The clients the benchmarks know: a name, the class that drives it, and a class of the library. */
public final class BenchClients {

    /** name -> {driver class, a class of the library that must be on the class path}. */
    private static final Map<String, String[]> KNOWN = new LinkedHashMap<>();
    /**
     * Clients measured only where named: name -> {the class, its static method that makes it}.
     * Variants of a client for a diagnosis, not an application's use of it: connections in memory,
     * answering without a server ({@code MemorySockets}), or OkHttp without its timeouts.
     */
    private static final Map<String, String[]> NAMED_ONLY = Map.of(
            "okhttp-memory", new String[] {"io.tailguard.bench.clients.OkHttpBenchClient", "inMemory"},
            "okhttp-untimed", new String[] {"io.tailguard.bench.clients.OkHttpBenchClient", "untimed"},
            "apache5-memory", new String[] {"io.tailguard.bench.clients.Apache5BenchClient", "inMemory"},
            "apache4-memory", new String[] {"io.tailguard.bench.clients.Apache4BenchClient", "inMemory"});

    static {
        KNOWN.put("jdk", new String[] {JdkBenchClient.class.getName(), "java.net.http.HttpClient"});
        KNOWN.put("jdk-async", new String[] {JdkAsyncBenchClient.class.getName(), "java.net.http.HttpClient"});
        KNOWN.put("okhttp", new String[] {"io.tailguard.bench.clients.OkHttpBenchClient", "okhttp3.OkHttpClient"});
        KNOWN.put("okhttp-enqueue", new String[] {"io.tailguard.bench.clients.OkHttpEnqueueBenchClient",
            "okhttp3.OkHttpClient"});
        KNOWN.put("apache5", new String[] {"io.tailguard.bench.clients.Apache5BenchClient",
            "org.apache.hc.client5.http.impl.classic.CloseableHttpClient"});
        KNOWN.put("apache5-async", new String[] {"io.tailguard.bench.clients.Apache5AsyncBenchClient",
            "org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient"});
        KNOWN.put("apache4", new String[] {"io.tailguard.bench.clients.Apache4BenchClient",
            "org.apache.http.impl.client.CloseableHttpClient"});
        KNOWN.put("apache4-async", new String[] {"io.tailguard.bench.clients.Apache4AsyncBenchClient",
            "org.apache.http.impl.nio.client.CloseableHttpAsyncClient"});
        KNOWN.put("urlconnection", new String[] {UrlConnectionBenchClient.class.getName(), "java.net.HttpURLConnection"});
    }

    private BenchClients() {
    }

    /** The clients whose library is on the class path, in a stable order. */
    public static List<String> available() {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, String[]> e : KNOWN.entrySet()) {
            try {
                Class.forName(e.getValue()[1], false, BenchClients.class.getClassLoader());
                names.add(e.getKey());
            } catch (ClassNotFoundException absent) {
                // not on the class path: not measured
            }
        }
        return names;
    }

    /**
     * The clients whose blocking API is measured in forked JMH runs; the asynchronous APIs of a
     * library ({@code -async}, {@code -enqueue}) are measured by the paired run only. HttpAsyncClient
     * 4.1 stays: it is the only API of its library.
     */
    public static List<String> blocking() {
        List<String> names = available();
        names.removeIf(name -> name.equals("jdk-async") || name.equals("okhttp-enqueue") || name.equals("apache5-async"));
        return names;
    }

    public static BenchClient create(String name) throws ReflectiveOperationException {
        String[] entry = KNOWN.get(name);
        if (entry != null) {
            return (BenchClient) Class.forName(entry[0]).getConstructor().newInstance();
        }
        String[] variant = NAMED_ONLY.get(name);
        if (variant != null) {
            return (BenchClient) Class.forName(variant[0]).getMethod(variant[1]).invoke(null);
        }
        throw new IllegalArgumentException("unknown client '" + name + "'; known: " + KNOWN.keySet()
                + ", and where named: " + NAMED_ONLY.keySet());
    }
}
