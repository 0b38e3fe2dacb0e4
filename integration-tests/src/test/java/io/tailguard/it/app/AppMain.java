package io.tailguard.it.app;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The application under test: an ordinary program that knows nothing of Tailguard. It reads
 * commands from stdin, one per line, runs each on its own thread, and answers on stdout with the
 * command's id. stdout carries only answers; anything else the program prints goes to stderr.
 */
public final class AppMain {

    private static final Map<String, String> DRIVERS = Map.ofEntries(
            Map.entry("jdk-send", "io.tailguard.it.app.JdkDriver$Send"),
            Map.entry("jdk-async", "io.tailguard.it.app.JdkDriver$Async"),
            Map.entry("okhttp-execute", "io.tailguard.it.app.OkHttpDriver$Execute"),
            Map.entry("okhttp-enqueue", "io.tailguard.it.app.OkHttpDriver$Enqueue"),
            Map.entry("okhttp-isolated-execute", "io.tailguard.it.app.IsolatedOkHttpDriver$Execute"),
            Map.entry("okhttp-isolated-enqueue", "io.tailguard.it.app.IsolatedOkHttpDriver$Enqueue"),
            Map.entry("apache4", "io.tailguard.it.app.Apache4Driver$Plain"),
            Map.entry("apache4-handler", "io.tailguard.it.app.Apache4Driver$Handler"),
            Map.entry("apache4-wrapped", "io.tailguard.it.app.Apache4Driver$Wrapped"),
            Map.entry("apache4-default", "io.tailguard.it.app.Apache4LegacyDriver$Default"),
            Map.entry("apache4-system", "io.tailguard.it.app.Apache4LegacyDriver$SystemDefault"),
            Map.entry("apache5", "io.tailguard.it.app.Apache5Driver$Plain"),
            Map.entry("apache5-handler", "io.tailguard.it.app.Apache5Driver$Handler"),
            Map.entry("apache5-wrapped", "io.tailguard.it.app.Apache5Driver$Wrapped"),
            Map.entry("apache5-async", "io.tailguard.it.app.Apache5AsyncDriver$Simple"),
            Map.entry("apache5-async-streaming", "io.tailguard.it.app.Apache5AsyncDriver$Streaming"),
            Map.entry("apache5-minimal-handler", "io.tailguard.it.app.Apache5LowLevelDriver$ExchangeHandler"),
            Map.entry("apache5-minimal-builder-producer", "io.tailguard.it.app.Apache5LowLevelDriver$ClientsProducer"),
            Map.entry("apache5-minimal-own-producer", "io.tailguard.it.app.Apache5LowLevelDriver$OwnProducer"),
            Map.entry("apache4-async", "io.tailguard.it.app.Apache4AsyncDriver$WithFuture"),
            Map.entry("apache4-async-callback", "io.tailguard.it.app.Apache4AsyncDriver$WithCallback"),
            Map.entry("elasticsearch", "io.tailguard.it.app.ElasticsearchDriver"),
            Map.entry("urlconnection", "io.tailguard.it.app.UrlConnectionDriver"),
            Map.entry("spring-rest-template", "io.tailguard.it.app.RestTemplateDriver"),
            Map.entry("feign", "io.tailguard.it.app.FeignDriver"),
            Map.entry("jersey", "io.tailguard.it.app.JerseyDriver"),
            Map.entry("app-own-metrics", "io.tailguard.it.app.AppOwnMetrics"));

    private static final Map<String, ClientDriver> LOADED = new ConcurrentHashMap<>();
    private static PrintStream answers;

    public static void main(String[] args) throws Exception {
        serve(AppMain::run);
    }

    /** What a program run by {@code AgentedApp} does with one command. */
    public interface Commands {
        Map<String, String> run(Map<String, String> command) throws Exception;
    }

    /**
     * Answers commands from stdin until {@code exit}, each on its own thread, then exits: the
     * protocol of {@code AgentedApp}, for this program and others (a server application).
     */
    public static void serve(Commands commandsToRun) throws Exception {
        answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        ExecutorService commands = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "app-command");
            thread.setDaemon(true);
            return thread;
        });
        answers.println("READY\tjava=" + Runtime.version());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            Map<String, String> command = Wire.decode(line);
            if ("exit".equals(command.get("verb"))) {
                break;
            }
            commands.execute(() -> answer(commandsToRun, command));
        }
        System.exit(0);
    }

    private static void answer(Commands commandsToRun, Map<String, String> command) {
        Map<String, String> reply = new LinkedHashMap<>();
        reply.put("id", command.get("id"));
        try {
            reply.putAll(commandsToRun.run(command));
        } catch (Throwable failure) {
            reply.put("driverError", failure.toString());
        }
        synchronized (answers) {
            answers.println(Wire.encode(reply));
        }
    }

    private static Map<String, String> run(Map<String, String> command) throws Exception {
        switch (command.get("verb")) {
            case "call":
                Outcomes.COUNTING.set("count".equals(command.get("consume")));
                try {
                    return driver(command.get("client")).call(command);
                } finally {
                    Outcomes.COUNTING.remove();
                }
            case "cancel":
                return driver(command.get("client")).cancel(command);
            case "inspect":
                return driver(command.get("client")).inspect(command);
            case "load":
                return load(command);
            case "threads":
                return threads();
            case "soak":
                return Soak.run(command);
            case "heap":
                return Soak.heap();
            case "serve":
                return ServerApp.serve(command);
            case "server-stats":
                return ServerApp.stats(command);
            case "server-release":
                return ServerApp.release();
            default:
                throw new IllegalArgumentException("unknown verb " + command.get("verb"));
        }
    }

    static ClientDriver driver(String name) {
        return LOADED.computeIfAbsent(name, n -> {
            String className = DRIVERS.get(n);
            if (className == null) {
                throw new IllegalArgumentException("unknown client " + n);
            }
            try {
                return (ClientDriver) Class.forName(className).getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * {@code count} calls from {@code threads} threads, virtual ones with {@code virtual=true} (Java 21
     * and later); answers how many ended how.
     */
    private static Map<String, String> load(Map<String, String> command) throws Exception {
        int count = Integer.parseInt(command.get("count"));
        int threads = Integer.parseInt(command.getOrDefault("threads", "1"));
        ClientDriver driver = driver(command.get("client"));
        Map<String, String> call = new HashMap<>(command);
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        boolean virtual = "true".equals(command.get("virtual"));
        for (int t = 0; t < threads; t++) {
            Runnable work = () -> {
                try {
                    while (next.getAndIncrement() < count) {
                        String outcome;
                        try {
                            Map<String, String> result = driver.call(call);
                            outcome = result.containsKey("status") ? result.get("status") : result.get("error");
                        } catch (Exception e) {
                            outcome = e.getClass().getName();
                        }
                        outcomes.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();
                    }
                } finally {
                    done.countDown();
                }
            };
            Thread worker = virtual ? virtualThread(work) : new Thread(work, "app-load-" + t);
            worker.start();
        }
        done.await();
        Map<String, String> reply = new TreeMap<>();
        outcomes.forEach((outcome, n) -> reply.put("outcome." + outcome, Integer.toString(n.get())));
        reply.put("elapsedMs", Long.toString((System.nanoTime() - start) / 1_000_000));
        return reply;
    }

    /** {@code Thread.ofVirtual().unstarted(work)}, found at run time: this application is compiled for Java 17. */
    private static Thread virtualThread(Runnable work) throws ReflectiveOperationException {
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        return (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                .invoke(builder, work);
    }

    private static Map<String, String> threads() {
        Map<String, String> reply = new LinkedHashMap<>();
        reply.put("live", Integer.toString(ManagementFactory.getThreadMXBean().getThreadCount()));
        int tailguard = 0;
        Map<String, Integer> byName = new TreeMap<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("tailguard-")) {
                tailguard++;
            }
            byName.merge(thread.getName().replaceAll("[0-9]+", "#"), 1, Integer::sum);
        }
        reply.put("tailguard", Integer.toString(tailguard));
        reply.put("names", byName.toString());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean) {
            // Sockets are file descriptors: a connection the client failed to close stays counted here.
            reply.put("openFiles", Long.toString(((UnixOperatingSystemMXBean) ManagementFactory
                    .getOperatingSystemMXBean()).getOpenFileDescriptorCount()));
        }
        return reply;
    }
}
