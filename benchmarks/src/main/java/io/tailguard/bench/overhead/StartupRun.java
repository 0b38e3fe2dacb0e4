package io.tailguard.bench.overhead;

import io.tailguard.bench.RunOptions;
import io.tailguard.bench.report.Machine;
import io.tailguard.bench.report.Markdown;
import io.tailguard.bench.report.Stats;
import io.tailguard.bench.report.Verdict;
import io.tailguard.bench.server.MiniHttpServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * JVM startup with and without the agent: {@link StartupApp} started many times per variant, the
 * variants interleaved (a different order each run) so that drift in the machine's load hits all
 * of them alike. Wall time from process start to exit, as a user would time it, and to the first
 * response (the line the application prints when its call returned); with the agent, that extra
 * time is split into premain (as the agent's status reports it) and the first call's own extra
 * time (the application's timing of its one {@code send}, against the same without the agent).
 * The extra time to the first response is also taken round by round ({@link #pairedExtra}), which
 * the startup target's verdict uses; each kept launch's figures go to {@link #LAUNCHES_CSV}.
 *
 * <p>Four more variants: the application without an agent but with {@code --add-modules
 * java.instrument}, which {@code -javaagent} adds too and which makes the JVM build its module
 * graph at startup instead of taking the one its class data archive holds ({@link
 * #INSTRUMENT_MODULE}); an agent whose premain does nothing ({@code empty.EmptyAgent}), the floor
 * any {@code -javaagent} sets; one whose premain only registers a transformer that changes nothing
 * ({@code empty.IdleTransformerAgent}), the floor of any agent that rewrites classes as they load;
 * and the hook style against the alternative: the same hooks installed
 * with Byte Buddy's {@code AgentBuilder} and {@code Advice} ({@code bytebuddy.ByteBuddyHooksAgent}).
 * And what the agent costs a larger application's class loading: the same application loading
 * {@link #LOADED_CLASSES} classes before its call, without the agent, with it and with the idle
 * transformer, timed by itself, and with the last two once more {@link #LOAD_LATER_MILLIS} after the
 * application starts, when the agent's own startup work is done;
 * and its startup with a long class path ({@link #CLASS_PATH_JARS} jars after its own classes, as
 * with {@code -cp 'lib/*'}), whose jars the class loader searches for each of the agent's classes
 * before the agent jar, which the JVM puts last. Last, the application without and with the agent
 * while the JVM verifies no class outside the boot loader ({@link #NO_VERIFICATION}): against the
 * same pair with verification on, round by round, what verifying the agent's own classes costs.
 *
 * <p>{@code benchmarks/run startup-target} ({@link #targetOnly}) starts only the pair the startup
 * target is judged on, without the agent and with a matching policy, for {@link #TARGET_ROUNDS}
 * rounds by default: a round of two launches takes about 1.5 s, where one of every variant takes
 * some 14, so in about the time of a default {@code startup} run it pairs launches closer in time and
 * has eight times the rounds to narrow the interval. With {@code --clients okhttp}, {@code apache5} or
 * {@code urlconnection} its application makes its call with that client instead ({@link App}); with
 * {@code --floor} every round also starts the idle transformer, so that the report can give
 * Tailguard's own share beyond what any agent that rewrites classes costs, from the same rounds,
 * and the application with {@code java.instrument} added, the part of that floor the JVM's module
 * graph takes.
 */
public final class StartupRun {

    private static final List<Launch> LAUNCHES = Stream.of(Launch.values()).filter(launch -> !launch.baseline)
            .collect(Collectors.toList());
    /** The launches of the startup tables: the application as it is, loading nothing more. */
    private static final List<Launch> STARTUP = LAUNCHES.stream()
            .filter(launch -> !launch.loadsClasses && !launch.longClassPath && !launch.unverified)
            .collect(Collectors.toList());
    /** The launches the startup target is judged on ({@link #targetOnly}). */
    private static final List<Launch> TARGET = List.of(Launch.NO_AGENT, Launch.ACTIVE);
    /** Rounds of a full {@link #targetOnly} run: some 12 min on two cores. */
    static final int TARGET_ROUNDS = 480;
    /** How many classes the class-loading launches load before their call. */
    static final int LOADED_CLASSES = 4000;
    /**
     * How long the late class-loading launches wait before they load: the agent's startup work (the
     * engine, the warm-up, their compilation) takes a few hundred ms on two cores.
     */
    static final long LOAD_LATER_MILLIS = 1000;
    /** How many jars the long-class-path launches have after the application's own classes. */
    static final int CLASS_PATH_JARS = 150;
    /** How many entries each of those jars holds. */
    static final int ENTRIES_PER_JAR = 200;
    /** Which of those jars are multi-release: one in this many. */
    static final int MULTI_RELEASE_EVERY = 4;
    private static final int DISCARDED = 2;
    /** Each kept launch's figures, written beside the report, so that it can be analysed again. */
    static final String LAUNCHES_CSV = "startup-launches.csv";
    /** A thread whose mean processor time reaches this many ms in one variant gets a row of its own. */
    private static final double THREAD_CPU_SHOWN_MS = 1.0;
    /**
     * The key of a run's whole-process processor time among its threads' (no thread's kernel name
     * has a space: {@link StartupApp#threadCpuLine} turns them into {@code _}).
     */
    static final String PROCESS_CPU = " process";

    private final RunOptions options;
    /** The application's client. */
    private final App app;
    /** Only the launches the startup target is judged on ({@link #TARGET}), more rounds of them. */
    private final boolean targetOnly;
    /** The launches each round starts. */
    private final List<Launch> launched;
    private final int runs;
    private final Map<Launch, List<Double>> millis = new EnumMap<>(Launch.class);
    /** Process start to the first response's line. */
    private final Map<Launch, List<Double>> firstResponse = new EnumMap<>(Launch.class);
    /** The application's own timing of its first call. */
    private final Map<Launch, List<Double>> firstCall = new EnumMap<>(Launch.class);
    /** premain's duration as the agent's status reports it. */
    private final Map<Launch, List<Double>> premain = new EnumMap<>(Launch.class);
    /** The class-loading launches' own timing of their loading. */
    private final Map<Launch, List<Double>> loading = new EnumMap<>(Launch.class);
    /**
     * Each run's processor time by thread at its first response ({@link StartupApp#printThreadCpu}),
     * for the launches of the startup tables; empty where the JVM could not read it.
     */
    private final Map<Launch, List<Map<String, Double>>> threadCpu = new EnumMap<>(Launch.class);
    /** Every launch kept, in the order it ran, one CSV line each ({@link #LAUNCHES_CSV}). */
    private final StringBuilder launches = new StringBuilder(
            "round,launch,exit_ms,first_response_ms,first_call_ms,premain_ms,loading_ms\n");
    /** How many classes the class-loading launches defined (the same in every run). */
    private int loadedClasses;
    private final AtomicInteger tagged = new AtomicInteger();
    /** As {@link #tagged}, for the launch with retry + tagging that verifies no class. */
    private final AtomicInteger taggedUnverified = new AtomicInteger();
    /** As {@link #tagged}, for the launch with {@code --baseline-agent}'s jar. */
    private final AtomicInteger taggedBaseline = new AtomicInteger();
    private final AtomicInteger hookedByByteBuddy = new AtomicInteger();
    /** {@code --aot}, which only {@link #targetOnly} runs take: each launch from its own AOT cache. */
    private final boolean aot;
    /** With {@link #aot}: each launch's AOT cache ({@link #trainAotCaches}). */
    private final Map<Launch, Path> aotCaches = new EnumMap<>(Launch.class);
    /** {@link #activeExtra()}, once computed. */
    private double[] activeExtra;
    /** {@link #verificationCost()}, once computed. */
    private double[] verificationCost;
    private Path byteBuddyAgent;
    private Path emptyAgent;
    private Path idleTransformerAgent;

    /**
     * The client the application makes its one call with: the JDK's {@code HttpClient} for every
     * launch, or another for the startup target's pair alone ({@code --clients okhttp}, {@code
     * apache5} or {@code urlconnection}; the other launches' agents hook the JDK's client). A
     * library the application needs is copied from this code's own jar ({@link #writeLibraryJar}).
     */
    enum App {
        JDK("jdk", StartupApp.class, "create a JDK `HttpClient`, one GET to a local server, exit"),
        OKHTTP("okhttp", StartupOkHttpApp.class, "create an `OkHttpClient` (OkHttp " + okhttp3.OkHttp.VERSION
                + "), one GET with `execute()` to a local server, exit", "okhttp3/", "okio/", "kotlin/"),
        APACHE5("apache5", StartupApache5App.class, "create Apache HttpClient 5's default classic client, one GET "
                + "to a local server, exit", "org/apache/hc/", "org/slf4j/"),
        URLCONNECTION("urlconnection", StartupUrlConnectionApp.class, "open an `HttpURLConnection`, one GET to a "
                + "local server, exit");

        /** As {@code --clients} names it. */
        final String client;
        final Class<?> main;
        final String description;
        /** Where in this code's jar the application's library is: none for the JDK's own clients. */
        final List<String> library;

        App(String client, Class<?> main, String description, String... library) {
            this.client = client;
            this.main = main;
            this.description = description;
            this.library = List.of(library);
        }

        /** The application {@code --clients} names: none or {@code jdk}, or one other client. */
        static App of(List<String> clients, boolean targetOnly) {
            if (clients.isEmpty()) {
                return JDK;
            }
            for (App app : values()) {
                if (clients.equals(List.of(app.client))) {
                    if (app != JDK && !targetOnly) {
                        throw new IllegalArgumentException("--clients " + app.client + ": only startup-target has "
                                + "an application of another client (the other startup launches hook the JDK's)");
                    }
                    return app;
                }
            }
            throw new IllegalArgumentException("--clients " + String.join(",", clients)
                    + ": startup's application uses one client, jdk (the default), okhttp, apache5 or urlconnection");
        }
    }

    /** An agent other than Tailguard, started in its place to show a floor or the alternative hook style. */
    enum OtherAgent {
        /** {@code empty.EmptyAgent}: premain does nothing. */
        EMPTY,
        /** {@code empty.IdleTransformerAgent}: premain only registers a transformer that changes nothing. */
        IDLE_TRANSFORMER,
        /** {@code bytebuddy.ByteBuddyHooksAgent}: the same hooks with Byte Buddy's {@code Advice}. */
        BYTE_BUDDY
    }

    /** What a launch does beyond starting the application as it is. */
    enum Trait {
        /** The application loads {@link StartupRun#LOADED_CLASSES} classes before its call. */
        LOADS_CLASSES,
        /** It loads them {@link StartupRun#LOAD_LATER_MILLIS} after it starts, not at once. */
        LOADS_LATER,
        /** {@link StartupRun#CLASS_PATH_JARS} jars follow the application's classes on its class path. */
        LONG_CLASS_PATH,
        /**
         * The JVM verifies no class that a class loader other than the boot loader defines
         * ({@link StartupRun#NO_VERIFICATION}): what verifying the agent's own classes costs,
         * against the same without the agent.
         */
        UNVERIFIED,
        /**
         * The JVM is started with {@link StartupRun#INSTRUMENT_MODULE}, as {@code -javaagent} starts
         * it: without an agent, what building the module graph at startup costs.
         */
        ADDS_INSTRUMENT_MODULE,
        /** The agent is {@code --baseline-agent}'s jar, not the one measured: two builds compared in one run. */
        BASELINE
    }

    /**
     * What {@code -javaagent} adds to the JVM's options: a module property that the JVM's class
     * data archive was not made with, so that its module graph is built anew at every start (its
     * log, {@code -Xlog:cds}: "full module graph: disabled"; JDK 17 and 25 alike).
     */
    static final List<String> INSTRUMENT_MODULE = List.of("--add-modules", "java.instrument");
    /** The JVM options that switch off the verification of classes the boot loader does not define. */
    static final List<String> NO_VERIFICATION = List.of("-XX:+UnlockDiagnosticVMOptions",
            "-XX:-BytecodeVerificationRemote");

    /**
     * How one run is started: a Tailguard variant (or none), or another agent in its place; and
     * what the application does beyond its one call.
     */
    enum Launch {
        NO_AGENT(Variant.NO_AGENT, null),
        NO_AGENT_INSTRUMENT_MODULE(Variant.NO_AGENT, "no agent, `--add-modules java.instrument` (the module "
                + "graph built at startup, as with any agent)", Trait.ADDS_INSTRUMENT_MODULE),
        EMPTY_AGENT(OtherAgent.EMPTY, "an agent whose premain does nothing (what any `-javaagent` costs)"),
        IDLE_TRANSFORMER(OtherAgent.IDLE_TRANSFORMER, "an agent whose premain only registers a transformer that "
                + "changes nothing (what any agent that rewrites classes as they load costs)"),
        UNMATCHED(Variant.UNMATCHED, null),
        ACTIVE(Variant.ACTIVE, null),
        BYTE_BUDDY_ADVICE(OtherAgent.BYTE_BUDDY, "the same hooks with Byte Buddy `Advice` (no configuration, no "
                + "engine)"),
        NO_AGENT_LOADING(Variant.NO_AGENT, "no agent, loading classes first", Trait.LOADS_CLASSES),
        ACTIVE_LOADING(Variant.ACTIVE, "retry + tagging, loading classes first", Trait.LOADS_CLASSES),
        IDLE_TRANSFORMER_LOADING(OtherAgent.IDLE_TRANSFORMER, "a transformer that changes nothing, loading classes "
                + "first", Trait.LOADS_CLASSES),
        ACTIVE_LOADING_LATER(Variant.ACTIVE, "retry + tagging, loading classes 1 s after start", Trait.LOADS_CLASSES,
                Trait.LOADS_LATER),
        IDLE_TRANSFORMER_LOADING_LATER(OtherAgent.IDLE_TRANSFORMER, "a transformer that changes nothing, loading "
                + "classes 1 s after start", Trait.LOADS_CLASSES, Trait.LOADS_LATER),
        NO_AGENT_LONG_CLASS_PATH(Variant.NO_AGENT, "no agent, a long class path", Trait.LONG_CLASS_PATH),
        ACTIVE_LONG_CLASS_PATH(Variant.ACTIVE, "retry + tagging, a long class path", Trait.LONG_CLASS_PATH),
        NO_AGENT_UNVERIFIED(Variant.NO_AGENT, "no agent, no class verified", Trait.UNVERIFIED),
        ACTIVE_UNVERIFIED(Variant.ACTIVE, "retry + tagging, no class verified", Trait.UNVERIFIED),
        /** Started only with {@code --baseline-agent}. */
        BASELINE(Variant.ACTIVE, "retry + tagging, the baseline agent", Trait.BASELINE);

        /** The Tailguard variant, {@link Variant#NO_AGENT} included; {@code null} for another agent. */
        final Variant variant;
        /** The agent started in Tailguard's place; {@code null} for a Tailguard variant. */
        final OtherAgent other;
        private final String label;
        final boolean loadsClasses;
        final boolean longClassPath;
        final boolean loadsLater;
        final boolean unverified;
        final boolean instrumentModule;
        final boolean baseline;

        Launch(Variant variant, String label, Trait... traits) {
            this(variant, null, label, traits);
        }

        Launch(OtherAgent other, String label, Trait... traits) {
            this(null, other, label, traits);
        }

        Launch(Variant variant, OtherAgent other, String label, Trait... traits) {
            this.variant = variant;
            this.other = other;
            this.label = label;
            List<Trait> has = List.of(traits);
            this.loadsClasses = has.contains(Trait.LOADS_CLASSES);
            this.loadsLater = has.contains(Trait.LOADS_LATER);
            this.longClassPath = has.contains(Trait.LONG_CLASS_PATH);
            this.unverified = has.contains(Trait.UNVERIFIED);
            this.instrumentModule = has.contains(Trait.ADDS_INSTRUMENT_MODULE);
            this.baseline = has.contains(Trait.BASELINE);
        }

        String label() {
            return label != null ? label : variant.label();
        }

        /** The path of the launch's one call: the server counts the tagged calls of a launch by it. */
        String path() {
            return loadsClasses ? "/startup-loading" : longClassPath ? "/startup-long-class-path"
                    : unverified ? "/startup-unverified" : baseline ? "/startup-baseline" : "/startup";
        }
    }

    public StartupRun(RunOptions options) {
        this(options, false);
    }

    /** @param targetOnly start only the launches the startup target is judged on ({@link #TARGET}) */
    public StartupRun(RunOptions options, boolean targetOnly) {
        this.options = options;
        this.targetOnly = targetOnly;
        this.aot = targetOnly && options.aot;
        this.app = App.of(options.clients, targetOnly);
        List<Launch> launches = new ArrayList<>(targetOnly ? TARGET : LAUNCHES);
        if (targetOnly && options.floor) {
            launches.add(Launch.IDLE_TRANSFORMER);
            launches.add(Launch.NO_AGENT_INSTRUMENT_MODULE);
        }
        if (options.baselineAgent != null) {
            launches.add(Launch.BASELINE);
        }
        this.launched = launches;
        this.runs = options.rounds > 0 ? options.rounds
                : targetOnly ? (options.quick ? 30 : TARGET_ROUNDS) : options.quick ? 15 : 60;
    }

    public Markdown run(Markdown md) throws Exception {
        Path work = options.work.resolve("startup");
        Path appClasses = copyApp(work.resolve("app"));
        // An AOT cache takes no class path directory that holds files: with --aot the classes go in a jar.
        String appEntry = aot ? appJar(appClasses, work.resolve("app-jar")).toString()
                : appClasses.toString();
        String classPath = app.library.isEmpty() ? appEntry
                : appEntry + File.pathSeparator + writeLibraryJar(RunOptions.ownJar(), work.resolve("library"),
                        app.library);
        String longClassPath = appClasses + File.pathSeparator + writeJars(work.resolve("jars"));
        byteBuddyAgent = ByteBuddyHooksJar.write(io.tailguard.bench.RunOptions.ownJar(), work.resolve("bytebuddy"));
        emptyAgent = ByteBuddyHooksJar.writeEmpty(io.tailguard.bench.RunOptions.ownJar(), work.resolve("empty"));
        idleTransformerAgent = ByteBuddyHooksJar.writeIdleTransformer(io.tailguard.bench.RunOptions.ownJar(),
                work.resolve("empty"));
        double loadBefore = Machine.loadAverage();
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        try (MiniHttpServer server = new MiniHttpServer(request -> {
            if (request.header("x-attempt") != null) {
                if (request.target.equals(Launch.ACTIVE.path())) {
                    tagged.incrementAndGet();
                } else if (request.target.equals(Launch.ACTIVE_UNVERIFIED.path())) {
                    taggedUnverified.incrementAndGet();
                } else if (request.target.equals(Launch.BASELINE.path())) {
                    taggedBaseline.incrementAndGet();
                }
            }
            return ok;
        })) {
            if (aot) {
                trainAotCaches(classPath, work, server.url("/startup-training"));
            }
            SplittableRandom order = new SplittableRandom(42);
            List<Launch> sequence = new ArrayList<>(launched);
            for (int i = 0; i < runs + DISCARDED; i++) {
                shuffle(sequence, order);
                for (Launch variant : sequence) {
                    Map<String, Double> cpu = new TreeMap<>();
                    double[] ms = once(variant, variant.longClassPath ? longClassPath : classPath, work,
                            server.url(variant.path()), cpu);
                    if (i >= DISCARDED) {
                        launches.append(String.format(Locale.ROOT, "%d,%s,%.2f,%.2f,%.2f,%.2f,%.2f%n",
                                i - DISCARDED, variant.name(), ms[0], ms[1], ms[2], ms[3], ms[4]));
                        if (variant.loadsClasses) {
                            loading.computeIfAbsent(variant, v -> new ArrayList<>()).add(ms[4]);
                            continue;
                        }
                        millis.computeIfAbsent(variant, v -> new ArrayList<>()).add(ms[0]);
                        firstResponse.computeIfAbsent(variant, v -> new ArrayList<>()).add(ms[1]);
                        firstCall.computeIfAbsent(variant, v -> new ArrayList<>()).add(ms[2]);
                        premain.computeIfAbsent(variant, v -> new ArrayList<>()).add(ms[3]);
                        if (STARTUP.contains(variant) && !cpu.isEmpty()) {
                            threadCpu.computeIfAbsent(variant, v -> new ArrayList<>()).add(cpu);
                        }
                    }
                }
                if ((i + 1) % (targetOnly ? 20 : 5) == 0) {
                    System.out.printf("[startup] %d/%d runs per variant%n", i + 1, runs + DISCARDED);
                }
            }
        }
        Files.writeString(options.out.resolve(LAUNCHES_CSV), launches);
        return write(md, loadBefore, Machine.loadAverage());
    }

    /**
     * @param cpu filled with the application's processor time by thread at its first response, in
     *     ms, where it could read it
     * @return ms to exit, to the first response, the first call's own time, premain (-1 without the
     *     agent), loading the classes (NaN when it loads none)
     */
    private double[] once(Launch variant, String classPath, Path work, String url, Map<String, Double> cpu)
            throws Exception {
        List<String> command = command(variant, classPath, work, url);
        Path cache = aotCaches.get(variant);
        if (cache != null) {
            command.add(1, "-XX:AOTCache=" + cache);
        }
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // A launch that hangs is ended after 60 s, which ends the reading of its output below too.
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(process::destroyForcibly,
                CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS));
        StringBuilder all = new StringBuilder();
        double toFirstResponse = Double.NaN;
        double call = Double.NaN;
        double premainMs = -1;
        double loadingMs = Double.NaN;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("first-call-ms ")) {
                    toFirstResponse = (System.nanoTime() - start) / 1e6;
                    call = Double.parseDouble(line.substring("first-call-ms ".length()));
                } else if (line.startsWith("premain-ms ")) {
                    premainMs = Double.parseDouble(line.substring("premain-ms ".length()));
                } else if (line.startsWith("cpu-ms ")) {
                    String[] f = line.split(" ");
                    cpu.merge(f[1], Double.parseDouble(f[2]), Double::sum);
                } else if (line.startsWith("cpu-process-ms ")) {
                    cpu.put(PROCESS_CPU, Double.parseDouble(line.substring("cpu-process-ms ".length())));
                } else if (line.startsWith("classes ")) {
                    String[] f = line.split(" ");
                    loadedClasses = Integer.parseInt(f[1]);
                    loadingMs = Double.parseDouble(f[2]);
                }
                all.append(line).append('\n');
            }
        } finally {
            watchdog.cancel(false);
        }
        String output = all.toString();
        if (!process.waitFor(60, TimeUnit.SECONDS) || watchdog.isDone() && !watchdog.isCancelled()) {
            process.destroyForcibly();
            throw new IllegalStateException("the startup app did not exit within 60 s: " + output);
        }
        double elapsed = (System.nanoTime() - start) / 1e6;
        if (process.exitValue() != 0 || !output.trim().endsWith("200") || output.contains("[bench] could not hook")) {
            throw new IllegalStateException("the startup app failed (" + variant + "): " + output);
        }
        if (output.contains("[bench] hooked jdk.internal.net.http.HttpClientImpl")) {
            hookedByByteBuddy.incrementAndGet();
        }
        if (variant.variant == Variant.ACTIVE && premainMs < 0) {
            throw new IllegalStateException("the agent's status reports no premain time: " + output);
        }
        if (variant.loadsClasses && Double.isNaN(loadingMs)) {
            throw new IllegalStateException("the startup app did not report its class loading: " + output);
        }
        return new double[] {elapsed, toFirstResponse, call, premainMs, loadingMs};
    }

    /** The command that starts {@code variant}'s application, calling {@code url}. */
    private List<String> command(Launch variant, String classPath, Path work, String url) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(options.java);
        if (variant.variant != null) {
            command.addAll(variant.variant.jvmOptions(variant.baseline ? options.baselineAgent : options.agentJar,
                    work));
        } else {
            command.add("-Dbench.variant=" + variant.name());
            command.add("-javaagent:" + jarOf(variant.other).toAbsolutePath());
        }
        if (variant.unverified) {
            command.addAll(NO_VERIFICATION);
        }
        if (variant.instrumentModule) {
            command.addAll(INSTRUMENT_MODULE);
        }
        if (variant.longClassPath) {
            command.add("-D" + StartupApp.OPEN_CLASS_PATH + "=true");
        }
        command.add("-cp");
        command.add(classPath);
        command.add(app.main.getName());
        command.add(url);
        if (variant.loadsClasses) {
            command.add(Integer.toString(LOADED_CLASSES));
            if (variant.loadsLater) {
                command.add(Long.toString(LOAD_LATER_MILLIS));
            }
        }
        return command;
    }

    /**
     * With {@code --aot}: one run of each launch that writes its AOT cache (JDK 25's {@code
     * -XX:AOTCacheOutput}: the classes it loaded, linked, and the JVM's module graph, as that
     * launch's options made them), which its runs in the rounds then start from. Its call goes to a
     * path of its own, so that the server's count of tagged calls leaves it out.
     */
    private void trainAotCaches(String classPath, Path work, String url) throws Exception {
        Path caches = Files.createDirectories(work.resolve("aot"));
        for (Launch launch : launched) {
            Path cache = caches.resolve(launch.name() + ".aot");
            Files.deleteIfExists(cache);
            List<String> command = command(launch, classPath, work, url);
            command.add(1, "-XX:AOTCacheOutput=" + cache);
            // Its output goes to a file, so that a training run that hangs meets the timeout
            // instead of a read that waits for its end.
            Path log = cache.resolveSibling(launch.name() + ".training.log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = process.waitFor(120, TimeUnit.SECONDS);
            if (!ended) {
                process.destroyForcibly().waitFor();
            }
            if (!ended || process.exitValue() != 0 || !Files.isRegularFile(cache)) {
                throw new IllegalStateException("--aot: the training run of " + launch + " made no AOT cache (the "
                        + "JVM must be JDK 25 or later"
                        + (ended ? "" : "; it did not end within 120 s") + "): "
                        + new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
            }
            aotCaches.put(launch, cache);
        }
        System.out.printf("[startup] an AOT cache for each of %d launches%n", launched.size());
    }

    private Path jarOf(OtherAgent agent) {
        switch (agent) {
            case EMPTY:
                return emptyAgent;
            case IDLE_TRANSFORMER:
                return idleTransformerAgent;
            default:
                return byteBuddyAgent;
        }
    }

    /** Writes the applications' classes (all of them: the others print through the JDK one's) under {@code dir}. */
    private static Path copyApp(Path dir) throws IOException {
        for (App app : App.values()) {
            String resource = app.main.getName().replace('.', '/') + ".class";
            Path file = dir.resolve(resource);
            Files.createDirectories(file.getParent());
            try (InputStream in = StartupRun.class.getClassLoader().getResourceAsStream(resource)) {
                Files.write(file, in.readAllBytes());
            }
        }
        return dir;
    }

    /** The application's classes under {@code classes}, in one jar in {@code dir}, by the JDK's {@code jar} tool. */
    private static Path appJar(Path classes, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path jar = dir.resolve("app.jar");
        Files.deleteIfExists(jar);
        ToolProvider tool = ToolProvider.findFirst("jar")
                .orElseThrow(() -> new IllegalStateException("this JDK has no jar tool"));
        int exit = tool.run(System.out, System.err, "--create", "--file", jar.toString(), "-C", classes.toString(),
                ".");
        if (exit != 0) {
            throw new IOException("jar exited with " + exit + " for " + classes);
        }
        return jar;
    }

    /**
     * Writes the entries of {@code source} (this code's own jar) under {@code prefixes} into one jar
     * (compressed, as Maven's jars are): an application's library, such as OkHttp with okio and
     * Kotlin's standard library.
     *
     * @return its path
     */
    static Path writeLibraryJar(Path source, Path dir, List<String> prefixes) throws IOException {
        Files.createDirectories(dir);
        Path jar = dir.resolve("library.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        int copied = 0;
        try (JarFile own = new JarFile(source.toFile());
                JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            for (JarEntry entry : Collections.list(own.entries())) {
                String name = entry.getName();
                if (entry.isDirectory() || prefixes.stream().noneMatch(name::startsWith)) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                try (InputStream in = own.getInputStream(entry)) {
                    in.transferTo(out);
                }
                out.closeEntry();
                copied++;
            }
        }
        if (copied == 0) {
            throw new IllegalStateException("nothing under " + prefixes + " in " + source
                    + ": the application's library is copied from the benchmarks' jar");
        }
        return jar;
    }

    /**
     * Writes {@link #CLASS_PATH_JARS} jars of {@link #ENTRIES_PER_JAR} small entries each, none of
     * which any class loader is ever asked for. One in {@link #MULTI_RELEASE_EVERY} is a multi-release
     * jar (of 150 libraries in one local Maven repository, 40 were, most of them for a
     * {@code module-info} of Java 9 and later): the JDK looks a name up in such a jar once per Java
     * version it holds entries for.
     *
     * @return their paths, as a class path
     */
    private static String writeJars(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> paths = new ArrayList<>();
        byte[] content = "x".getBytes(StandardCharsets.US_ASCII);
        for (int j = 0; j < CLASS_PATH_JARS; j++) {
            Path jar = dir.resolve(String.format(Locale.ROOT, "lib%03d.jar", j));
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            boolean multiRelease = j % MULTI_RELEASE_EVERY == 0;
            if (multiRelease) {
                manifest.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true");
            }
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
                if (multiRelease) {
                    out.putNextEntry(new JarEntry(String.format(Locale.ROOT,
                            "META-INF/versions/11/com/example/lib%03d/p0/Entry000.txt", j)));
                    out.write(content);
                    out.closeEntry();
                }
                for (int e = 0; e < ENTRIES_PER_JAR; e++) {
                    out.putNextEntry(new JarEntry(String.format(Locale.ROOT, "com/example/lib%03d/p%d/Entry%03d.txt",
                            j, e % 10, e)));
                    out.write(content);
                    out.closeEntry();
                }
            }
            paths.add(jar.toString());
        }
        return String.join(File.pathSeparator, paths);
    }

    private static void shuffle(List<Launch> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Launch t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    private Markdown write(Markdown md, double loadBefore, double loadAfter) {
        if (targetOnly) {
            return writeTarget(md, loadBefore, loadAfter);
        }
        md.heading(2, "JVM startup");
        md.paragraph("A small application (" + app.description + "), started "
                + runs + " times per variant after " + DISCARDED + " discarded runs, variants interleaved in "
                + "random order; wall time from process start to exit (load average " + Markdown.num(loadBefore, 2)
                + " before, " + Markdown.num(loadAfter, 2) + " after). With retry + tagging, "
                + tagged.get() + " of " + (runs + DISCARDED)
                + " calls reached the server tagged, i.e. handled by the agent (" + taggedUnverified.get() + " of "
                + (runs + DISCARDED) + " where the JVM verified no class). With Byte Buddy, "
                + hookedByByteBuddy.get() + " of " + (runs + DISCARDED) + " runs hooked `HttpClientImpl` (its"
                + " listener's report); that agent installs the hooks only (see `ByteBuddyHooksAgent`).");
        exitTable(md, STARTUP);
        md.paragraph("Where the extra time goes, with a matching policy: premain as the agent's status reports it "
                + "(mean [95% CI]); the application's own timing of its one `send` against the same without "
                + "the agent (difference of medians [95% CI]): what the first handled request loads and "
                + "initialises; and the rest of the extra time to the first response, run by run (to the first "
                + "response, less premain and the first call) against the same without the agent (difference of "
                + "medians [95% CI]): the JVM opening the agent jar and loading its entry class before premain, "
                + "and the hooked classes' rewriting as the application loads them (the JDK client's when the "
                + "application builds its client, before the call).");
        Markdown.Table split = md.table("-variant", "to the first response: extra ms", "premain ms",
                "first call: extra ms", "the rest: extra ms");
        List<Double> baseRest = rest(Launch.NO_AGENT);
        for (Launch v : List.of(Launch.UNMATCHED, Launch.ACTIVE)) {
            split.row(v.label(), extraCell(firstResponse.get(Launch.NO_AGENT), firstResponse.get(v)),
                    meanCell(premain.get(v)), extraCell(firstCall.get(Launch.NO_AGENT), firstCall.get(v)),
                    extraCell(baseRest, rest(v)));
        }
        split.end();
        md.paragraph("Any agent's floor: an agent whose premain does nothing adds "
                + extraCell(firstResponse.get(Launch.NO_AGENT), firstResponse.get(Launch.EMPTY_AGENT))
                + " to the first response (the JVM opening its jar, and giving up its archived module graph for the "
                + "module option `-javaagent` adds), of which the module graph "
                + extraCell(firstResponse.get(Launch.NO_AGENT), firstResponse.get(Launch.NO_AGENT_INSTRUMENT_MODULE))
                + " (the application with `" + String.join(" ", INSTRUMENT_MODULE) + "` and no agent). Any agent that "
                + "rewrites classes as they load: one whose premain "
                + "only registers a transformer that changes nothing adds "
                + extraCell(firstResponse.get(Launch.NO_AGENT), firstResponse.get(Launch.IDLE_TRANSFORMER)) + ", "
                + extraCell(firstResponse.get(Launch.EMPTY_AGENT), firstResponse.get(Launch.IDLE_TRANSFORMER))
                + " beyond the agent that does nothing (from then on the JVM hands every class it defines, as a "
                + "copy of its bytes, to the agent's transformers). Tailguard with a matching policy adds "
                + extraCell(firstResponse.get(Launch.EMPTY_AGENT), firstResponse.get(Launch.ACTIVE))
                + " beyond the agent that does nothing, "
                + extraCell(firstResponse.get(Launch.IDLE_TRANSFORMER), firstResponse.get(Launch.ACTIVE))
                + " beyond the idle transformer: its own work (difference of medians [95% CI]).");
        List<Double> none = firstResponse.get(Launch.NO_AGENT);
        md.paragraph("Round by round: each round starts every variant once, in an order of its own, so that its "
                + "launches share whatever the machine did in those seconds. The extra time to the first "
                + "response, as the median of the rounds' differences [95% CI, the rounds resampled]: with a "
                + "matching policy " + cell(activeExtra())
                + ", an unmatched host " + cell(pairedExtra(none, firstResponse.get(Launch.UNMATCHED)))
                + ", an agent that does nothing " + cell(pairedExtra(none, firstResponse.get(Launch.EMPTY_AGENT)))
                + ", one that only registers a transformer "
                + cell(pairedExtra(none, firstResponse.get(Launch.IDLE_TRANSFORMER)))
                + "; Tailguard with a matching policy beyond that transformer "
                + cell(pairedExtra(firstResponse.get(Launch.IDLE_TRANSFORMER), firstResponse.get(Launch.ACTIVE)))
                + ". Each launch's figures: `" + LAUNCHES_CSV + "` beside this report.");
        List<Double> unverifiedNone = firstResponse.get(Launch.NO_AGENT_UNVERIFIED);
        List<Double> unverifiedActive = firstResponse.get(Launch.ACTIVE_UNVERIFIED);
        md.paragraph("Verification: before a class first runs, the JVM checks its bytecode, unless the boot loader "
                + "defined it. The agent defines its classes in a class loader of its own, not in the boot loader, "
                + "which every class loader sees and which holds only the agent's few bootstrap classes; so the JVM "
                + "verifies them. With that check off in both launches of a pair (`"
                + String.join(" ", NO_VERIFICATION) + "`, which spares the JDK client's own classes too), "
                + "Tailguard with a matching policy adds " + cell(pairedExtra(unverifiedNone, unverifiedActive))
                + " to the first response, against " + cell(activeExtra())
                + " with it on; verifying the classes the agent loads costs "
                + cell(verificationCost()) + " of that (round by round: each round's extra time with the "
                + "check on, less its extra time with it off [95% CI, the rounds resampled]).");
        writeThreadCpu(md, List.of(Launch.NO_AGENT, Launch.EMPTY_AGENT, Launch.IDLE_TRANSFORMER, Launch.ACTIVE));
        md.paragraph("Hook style: the same hooks with Byte Buddy `Advice` take "
                + extraCell(millis.get(Launch.ACTIVE), millis.get(Launch.BYTE_BUDDY_ADVICE))
                + " longer to start than Tailguard with a matching policy (difference of medians [95% CI]).");
        List<Double> plain = loading.get(Launch.NO_AGENT_LOADING);
        List<Double> agented = loading.get(Launch.ACTIVE_LOADING);
        List<Double> idle = loading.get(Launch.IDLE_TRANSFORMER_LOADING);
        List<Double> agentedLater = loading.get(Launch.ACTIVE_LOADING_LATER);
        List<Double> idleLater = loading.get(Launch.IDLE_TRANSFORMER_LOADING_LATER);
        double[] extra = extra(plain, agented);
        double[] idleExtra = extra(plain, idle);
        double[] laterExtra = extra(idleLater, agentedLater);
        List<Double> longPlain = firstResponse.get(Launch.NO_AGENT_LONG_CLASS_PATH);
        List<Double> longAgented = firstResponse.get(Launch.ACTIVE_LONG_CLASS_PATH);
        md.paragraph("A long class path: the same application with " + CLASS_PATH_JARS + " jars of "
                + ENTRIES_PER_JAR + " entries each after its own classes on its class path (as with `-cp 'lib/*'`), "
                + "every one of them opened before it builds its client (as by an application that has loaded "
                + "its own classes), " + runs + " runs each: to the first response "
                + Markdown.num(Stats.median(longPlain), 0) + " ms without the agent, "
                + Markdown.num(Stats.median(longAgented), 0) + " ms with it (retry + tagging), "
                + extraCell(longPlain, longAgented) + " more, against "
                + extraCell(firstResponse.get(Launch.NO_AGENT), firstResponse.get(Launch.ACTIVE))
                + " with its own classes alone: " + cell(extraBeyond(firstResponse.get(Launch.NO_AGENT),
                        firstResponse.get(Launch.ACTIVE), longPlain, longAgented))
                + " more with the long class path (differences of medians [95% CI]). premain, which loads most "
                + "of the agent's classes, took " + meanCell(premain.get(Launch.ACTIVE_LONG_CLASS_PATH))
                + " ms there against " + meanCell(premain.get(Launch.ACTIVE)) + " (mean [95% CI]). The JVM puts "
                + "the agent jar last on the class path, so the class loader looks for each of the agent's "
                + "classes in every jar before it.");
        md.paragraph("Class loading: the same application loading " + String.format(Locale.ROOT, "%,d", loadedClasses)
                + " classes of `java.desktop` (not initialised) before it builds its client, as a larger "
                + "application loads its framework, "
                + "timed by itself, " + runs + " runs each: " + Markdown.num(Stats.median(plain), 1)
                + " ms without the agent, " + Markdown.num(Stats.median(agented), 1) + " ms with it (retry + "
                + "tagging), " + cell(extra) + " more (difference of medians [95% CI]), "
                + Markdown.num(extra[0] * 1000 / Math.max(1, loadedClasses), 1) + " µs per class: every class "
                + "the JVM defines passes the agent's transformers. With the transformer that changes nothing: "
                + Markdown.num(Stats.median(idle), 1) + " ms, " + cell(idleExtra) + " more, "
                + Markdown.num(idleExtra[0] * 1000 / Math.max(1, loadedClasses), 1) + " µs per class: what the "
                + "JVM's handing each class over costs any such agent; Tailguard " + extraCell(idle, agented)
                + " beyond it: its transformers, and its own startup work (the engine, the first rewrite's "
                + "warm-up, the JIT compiling them), which the application's first classes load beside "
                + "(differences of medians [95% CI]). The same classes loaded " + LOAD_LATER_MILLIS
                + " ms after the application starts, once that work is done: "
                + Markdown.num(Stats.median(idleLater), 1) + " ms with the transformer that changes nothing, "
                + Markdown.num(Stats.median(agentedLater), 1) + " ms with Tailguard, "
                + cell(laterExtra) + " beyond it, "
                + Markdown.num(laterExtra[0] * 1000 / Math.max(1, loadedClasses), 1)
                + " µs per class: what its transformers themselves cost each class (difference of medians "
                + "[95% CI]).");
        writeBaseline(md);
        return md;
    }

    /** Wall time from process start to exit, per launch. */
    private void exitTable(Markdown md, List<Launch> shown) {
        Markdown.Table table = md.table("-variant", "median ms", "p25 – p75 ms", "min – max ms",
                "extra vs no agent (difference of medians [95% CI])");
        List<Double> base = millis.get(Launch.NO_AGENT);
        for (Launch v : shown) {
            List<Double> m = millis.get(v);
            String extra = v == Launch.NO_AGENT ? "–" : extraCell(base, m);
            table.row(v.label(), Markdown.num(Stats.median(m), 0),
                    Markdown.num(Stats.percentileOf(m, 25), 0) + " – " + Markdown.num(Stats.percentileOf(m, 75), 0),
                    Markdown.num(Stats.min(m), 0) + " – " + Markdown.num(Stats.max(m), 0), extra);
        }
        table.end();
    }

    /** The report of a {@link #targetOnly} run: the pair the startup target is judged on. */
    private Markdown writeTarget(Markdown md, double loadBefore, double loadAfter) {
        List<Double> none = firstResponse.get(Launch.NO_AGENT);
        List<Double> active = firstResponse.get(Launch.ACTIVE);
        md.heading(2, "JVM startup: the target's pair");
        md.paragraph("A small application (" + app.description + "), started "
                + runs + " times without the agent and " + runs + " times with a matching policy (retry + tagging), "
                + "after " + DISCARDED + " discarded rounds; each round starts both, in an order of its own (load "
                + "average " + Markdown.num(loadBefore, 2) + " before, " + Markdown.num(loadAfter, 2) + " after). "
                + tagged.get() + " of " + (runs + DISCARDED) + " calls with the agent reached the server tagged, i.e. "
                + "handled by the agent. Only this pair: `benchmarks/run startup` starts the other variants "
                + "(the floors of any agent, the hook style, class loading, a long class path, verification).");
        if (aot) {
            md.paragraph("With `--aot`: every launch started from an AOT cache of its own (`-XX:AOTCache`, JDK 25), "
                    + "made before the rounds by one run of the same launch with `-XX:AOTCacheOutput`, as a "
                    + "deployment that trains its cache would: the JDK's, the application's and the agent's classes "
                    + "loaded and linked ahead, and the module graph archived with the options that launch has "
                    + "(`-javaagent` adds `java.instrument`). The classes an agent rewrites as they load are left "
                    + "out of the cache and rewritten as without it. Not the figure the target is judged on, which is "
                    + "startup as the JVM comes: a way to start faster that a deployment can choose.");
        }
        md.paragraph("To the first response: " + Markdown.num(Stats.median(none), 1) + " ms without the agent, "
                + Markdown.num(Stats.median(active), 1) + " ms with it (medians); round by round, the median of the "
                + "rounds' differences " + cell(activeExtra()) + " (95% CI, the rounds resampled); the "
                + "difference of medians " + extraCell(none, active) + ". premain " + meanCell(premain.get(Launch.ACTIVE))
                + " ms (mean [95% CI]), the first call " + extraCell(firstCall.get(Launch.NO_AGENT),
                        firstCall.get(Launch.ACTIVE)) + ", the rest " + extraCell(rest(Launch.NO_AGENT),
                        rest(Launch.ACTIVE)) + " (differences of medians). Each launch's figures: `"
                + LAUNCHES_CSV + "` beside this report. From process start to exit:");
        exitTable(md, TARGET);
        md.paragraph("Against the application's own startup: the extra time to the first response is "
                + shareCell(pairedShare(none, active)) + " of the time to it without the agent, round by round "
                + "(each round's extra time over that round's launch without the agent; the median [95% CI, the "
                + "rounds resampled]). The time without the agent is this host's own speed, at this hour, on this very "
                + "application: the share sets runs on hosts or in hours of different speed side by side.");
        List<Launch> cpuShown = new ArrayList<>(List.of(Launch.NO_AGENT, Launch.ACTIVE));
        if (launched.contains(Launch.IDLE_TRANSFORMER)) {
            List<Double> idle = firstResponse.get(Launch.IDLE_TRANSFORMER);
            String modules = "with `" + String.join(" ", INSTRUMENT_MODULE) + "` and no agent";
            String moduleGraph = cell(pairedExtra(none, firstResponse.get(Launch.NO_AGENT_INSTRUMENT_MODULE)));
            md.paragraph("Any agent that rewrites classes as they load (`--floor`): an agent whose premain only "
                    + "registers a transformer that changes nothing, started in every round too, adds "
                    + cell(pairedExtra(none, idle)) + " to the first response, round by round (the JVM opening its "
                    + "jar, " + (aot ? "" : "giving up its archived module graph, ")
                    + "and handing every class it defines to the transformer, a copy of its bytes each). Tailguard "
                    + "with a matching policy adds " + cell(pairedExtra(idle, active)) + " beyond it ("
                    + shareCell(pairedShare(idle, active)) + " of that agent's time to the first response): its own "
                    + "work. " + (!aot
                            ? "Of that floor, the application " + modules + ", which `-javaagent` adds and "
                                    + "which makes the JVM build its module graph at startup instead of taking the "
                                    + "one its class data archive holds, takes " + moduleGraph + ", round by round: a "
                                    + "cost of any `-javaagent`, whatever the agent does."
                            : "The application " + modules + ", its module graph archived in its AOT cache with that "
                                    + "module in it, as each launch's here: " + moduleGraph + ", round by round "
                                    + "(without AOT caches, the JVM builds that graph at every start)."));
            cpuShown.add(1, Launch.IDLE_TRANSFORMER);
        }
        writeThreadCpu(md, cpuShown);
        writeBaseline(md);
        return md;
    }

    /**
     * With {@code --baseline-agent}: the agent measured against that build, round by round, the
     * same policy in every round beside the others.
     */
    private void writeBaseline(Markdown md) {
        if (options.baselineAgent == null) {
            return;
        }
        List<Double> none = firstResponse.get(Launch.NO_AGENT);
        List<Double> baseline = firstResponse.get(Launch.BASELINE);
        List<Double> active = firstResponse.get(Launch.ACTIVE);
        md.heading(2, "Against the baseline agent");
        md.paragraph("In every round the application also started with " + options.baselineDescription()
                + " (`--baseline-agent`) and the same policy; " + taggedBaseline.get() + " of " + (runs + DISCARDED)
                + " of its calls reached the server tagged. To the first response, round by round (the median "
                + "of the rounds' differences [95% CI, the rounds resampled]): the baseline agent "
                + cell(pairedExtra(none, baseline)) + " over no agent, the agent measured " + cell(activeExtra())
                + "; the agent measured against the baseline " + cell(pairedExtra(baseline, active))
                + " (negative: sooner). premain " + meanCell(premain.get(Launch.BASELINE)) + " ms with the baseline, "
                + meanCell(premain.get(Launch.ACTIVE)) + " ms with the agent measured (mean [95% CI]).");
    }

    /**
     * Where the processor time goes up to the first response, thread by thread: what competes for
     * the cores with the application's own thread while it starts.
     */
    private void writeThreadCpu(Markdown md, List<Launch> shown) {
        for (Launch launch : shown) {
            if (threadCpu.getOrDefault(launch, List.of()).size() != runs) {
                md.paragraph("Processor time by thread: not read on this machine (it needs Linux's "
                        + "`/proc/<pid>/task/<tid>/sched`).");
                return;
            }
        }
        Set<String> names = new TreeSet<>();
        boolean process = true;
        for (Launch launch : shown) {
            for (Map<String, Double> run : threadCpu.get(launch)) {
                names.addAll(run.keySet());
                process &= run.containsKey(PROCESS_CPU);
            }
        }
        names.remove(PROCESS_CPU);
        List<String> rows = new ArrayList<>();
        List<String> small = new ArrayList<>();
        for (String name : names) {
            boolean shownRow = false;
            for (Launch launch : shown) {
                shownRow |= Stats.mean(cpuOf(launch, List.of(name))) >= THREAD_CPU_SHOWN_MS;
            }
            (shownRow ? rows : small).add(name);
        }
        rows.sort(Comparator.comparingDouble((String name) -> -Stats.mean(cpuOf(Launch.ACTIVE, List.of(name)))));
        md.paragraph("Processor time by thread, from process start to the first response (the kernel's "
                + "accounting of each thread, read by the application right after its response; mean ms per "
                + "run, " + runs + " runs each; the differences with a matching policy against no agent"
                + (shown.contains(Launch.IDLE_TRANSFORMER) ? " and against the transformer that changes nothing" : "")
                + " taken round by round, mean [95% CI]); `java` is the application's main thread, which the launcher "
                + "names so. On a machine with few cores, every thread's time is time the "
                + "application's own thread may wait for a core; the JIT's and the GC's threads grow with the "
                + "code and the memory an agent adds.");
        List<String> header = new ArrayList<>();
        header.add("-thread (the kernel's name, a pool's numbers as N)");
        for (Launch launch : shown) {
            header.add(column(launch));
        }
        header.add("retry + tagging − no agent");
        if (shown.contains(Launch.IDLE_TRANSFORMER)) {
            header.add("retry + tagging − the transformer that changes nothing");
        }
        Markdown.Table table = md.table(header.toArray(new String[0]));
        List<String> all = new ArrayList<>(names);
        if (process) {
            threadCpuRow(table, shown, "the process, threads that ended before the response too (the kernel's "
                    + "10 ms ticks of user and system time, each rounded down)", List.of(PROCESS_CPU));
        }
        threadCpuRow(table, shown, "all threads" + (process ? " still running at the response" : ""), all);
        for (String name : rows) {
            threadCpuRow(table, shown, "`" + name.replace('_', ' ') + "`", List.of(name));
        }
        if (!small.isEmpty()) {
            threadCpuRow(table, shown, "the " + small.size() + " others, each under "
                    + Markdown.num(THREAD_CPU_SHOWN_MS, 1) + " ms", small);
        }
        table.end();
    }

    /** A launch's column in the table of processor time by thread. */
    private static String column(Launch launch) {
        switch (launch) {
            case NO_AGENT:
                return "no agent";
            case EMPTY_AGENT:
                return "an agent that does nothing";
            case IDLE_TRANSFORMER:
                return "a transformer that changes nothing";
            default:
                return launch.label();
        }
    }

    private void threadCpuRow(Markdown.Table table, List<Launch> shown, String label, List<String> names) {
        List<String> cells = new ArrayList<>();
        cells.add(label);
        for (Launch launch : shown) {
            cells.add(Markdown.num(Stats.mean(cpuOf(launch, names)), 1));
        }
        cells.add(Markdown.interval(Stats.meanInterval(Stats.differences(cpuOf(Launch.ACTIVE, names),
                cpuOf(Launch.NO_AGENT, names))), 1));
        if (shown.contains(Launch.IDLE_TRANSFORMER)) {
            cells.add(Markdown.interval(Stats.meanInterval(Stats.differences(cpuOf(Launch.ACTIVE, names),
                    cpuOf(Launch.IDLE_TRANSFORMER, names))), 1));
        }
        table.row(cells.toArray());
    }

    /** Run by run, the processor time of the named threads together, in ms (0 for a thread a run lacks). */
    private List<Double> cpuOf(Launch launch, List<String> names) {
        List<Double> values = new ArrayList<>(runs);
        for (Map<String, Double> run : threadCpu.get(launch)) {
            double sum = 0;
            for (String name : names) {
                sum += run.getOrDefault(name, 0.0);
            }
            values.add(sum);
        }
        return values;
    }

    /** Run by run, the time to the first response less premain (when there is one) and the first call. */
    private List<Double> rest(Launch variant) {
        List<Double> toResponse = firstResponse.get(variant);
        List<Double> rest = new ArrayList<>(toResponse.size());
        for (int i = 0; i < toResponse.size(); i++) {
            rest.add(toResponse.get(i) - Math.max(0, premain.get(variant).get(i)) - firstCall.get(variant).get(i));
        }
        return rest;
    }

    /**
     * Startup cost of the agent with a matching policy, judged round by round ({@link #pairedExtra}):
     * the variants take turns within each round, so that whatever the machine does for longer than a
     * round falls on both launches of a pair; the difference of medians, which ignores the pairing,
     * is given beside it.
     */
    public void targetRows(Markdown.Table targets) {
        double[] ci = activeExtra();
        StringBuilder measured = new StringBuilder()
                .append(Markdown.num(ci[0], 0)).append(" ms [95% CI ").append(Markdown.num(ci[1], 0)).append(" – ")
                .append(Markdown.num(ci[2], 0)).append("] round by round")
                .append(targetOnly ? ", " + runs + " rounds" : "")
                .append(" (difference of medians ")
                .append(extraCell(firstResponse.get(Launch.NO_AGENT), firstResponse.get(Launch.ACTIVE)))
                .append("), ").append(shareCell(pairedShare(firstResponse.get(Launch.NO_AGENT),
                        firstResponse.get(Launch.ACTIVE)))).append(" of the time without the agent; premain ")
                .append(meanCell(premain.get(Launch.ACTIVE))).append(" ms");
        if (targetOnly && launched.contains(Launch.IDLE_TRANSFORMER)) {
            measured.append("; beyond a transformer that changes nothing (any agent that rewrites classes) ")
                    .append(cell(pairedExtra(firstResponse.get(Launch.IDLE_TRANSFORMER),
                            firstResponse.get(Launch.ACTIVE))));
        }
        if (!targetOnly) {
            measured.append(", first call ").append(extraCell(firstCall.get(Launch.NO_AGENT), firstCall.get(Launch.ACTIVE)))
                    .append(", the rest ").append(extraCell(rest(Launch.NO_AGENT), rest(Launch.ACTIVE)))
                    .append(", the JVM verifying the agent's classes ").append(cell(verificationCost()))
                    .append(" (round by round); an agent that does nothing: ")
                    .append(extraCell(firstResponse.get(Launch.NO_AGENT), firstResponse.get(Launch.EMPTY_AGENT)))
                    .append(", one that only registers a transformer: ")
                    .append(extraCell(firstResponse.get(Launch.NO_AGENT), firstResponse.get(Launch.IDLE_TRANSFORMER)));
        }
        targets.row("startup: at most 100 ms extra to the first response through a matching policy"
                + (app == App.JDK ? "" : " (the application's client: " + app.client + ")")
                + (aot ? "; each launch from an AOT cache of its own (`--aot`), not as judged" : ""),
                measured.toString(), Verdict.interval(ci, 100));
    }

    /**
     * The figure the startup target is judged on: the extra time to the first response with a
     * matching policy, round by round ({@link #pairedExtra}). Computed once, for the report's
     * paragraphs and its target row.
     */
    private double[] activeExtra() {
        if (activeExtra == null) {
            activeExtra = pairedExtra(firstResponse.get(Launch.NO_AGENT), firstResponse.get(Launch.ACTIVE));
        }
        return activeExtra;
    }

    /** What the JVM's verification of the agent's classes adds to the first response, round by round; computed once. */
    private double[] verificationCost() {
        if (verificationCost == null) {
            verificationCost = pairedExtraBeyond(firstResponse.get(Launch.NO_AGENT_UNVERIFIED),
                    firstResponse.get(Launch.ACTIVE_UNVERIFIED), firstResponse.get(Launch.NO_AGENT),
                    firstResponse.get(Launch.ACTIVE));
        }
        return verificationCost;
    }

    /** Mean with its 95% interval (Student's t), in ms. */
    private static String meanCell(List<Double> values) {
        return Markdown.interval(Stats.meanInterval(values), 1);
    }

    private static String extraCell(List<Double> base, List<Double> with) {
        return cell(extra(base, with));
    }

    /** A share with its interval ({@link #pairedShare}), in %. */
    private static String shareCell(double[] share) {
        return Markdown.num(share[0], 0) + " % [" + Markdown.num(share[1], 0) + " – " + Markdown.num(share[2], 0)
                + "]";
    }

    /** A difference of medians with its interval ({@link #extra}), in ms. */
    private static String cell(double[] e) {
        return Markdown.num(e[0], 0) + " ms [" + Markdown.num(e[1], 0) + " – " + Markdown.num(e[2], 0) + "]";
    }

    /**
     * The difference of medians with a 95% bootstrap interval: resampling each variant's runs
     * independently, 2,000 times.
     */
    static double[] extra(List<Double> base, List<Double> with) {
        double point = Stats.median(with) - Stats.median(base);
        SplittableRandom random = new SplittableRandom(7);
        List<Double> boot = new ArrayList<>();
        for (int b = 0; b < 2000; b++) {
            boot.add(Stats.median(resample(with, random)) - Stats.median(resample(base, random)));
        }
        return new double[] {point, Stats.percentileOf(boot, 2.5), Stats.percentileOf(boot, 97.5)};
    }

    /**
     * How much more {@code with2} adds to {@code base2} than {@code with1} to {@code base1}
     * (differences of medians), with a 95% bootstrap interval: resampling each list's runs
     * independently, 2,000 times.
     */
    static double[] extraBeyond(List<Double> base1, List<Double> with1, List<Double> base2, List<Double> with2) {
        double point = Stats.median(with2) - Stats.median(base2) - (Stats.median(with1) - Stats.median(base1));
        SplittableRandom random = new SplittableRandom(7);
        List<Double> boot = new ArrayList<>();
        for (int b = 0; b < 2000; b++) {
            boot.add(Stats.median(resample(with2, random)) - Stats.median(resample(base2, random))
                    - Stats.median(resample(with1, random)) + Stats.median(resample(base1, random)));
        }
        return new double[] {point, Stats.percentileOf(boot, 2.5), Stats.percentileOf(boot, 97.5)};
    }

    /**
     * The extra time round by round: each round starts every variant once, in an order of its own,
     * so a round's two launches share whatever the machine did during it. The median of the rounds'
     * differences, with a 95% bootstrap interval: resampling the rounds, 2,000 times.
     */
    static double[] pairedExtra(List<Double> base, List<Double> with) {
        return medianInterval(Stats.differences(with, base));
    }

    /**
     * The extra time as a share of the time without the agent, round by round: the median of each
     * round's {@code (with - base) / base}, in %, with a 95% bootstrap interval, resampling the
     * rounds 2,000 times ({@link #pairedExtra}).
     */
    static double[] pairedShare(List<Double> base, List<Double> with) {
        List<Double> shares = new ArrayList<>(base.size());
        for (int i = 0; i < Math.min(base.size(), with.size()); i++) {
            shares.add(100 * (with.get(i) - base.get(i)) / base.get(i));
        }
        return medianInterval(shares);
    }

    /** The median with a 95% bootstrap interval: resampling the values 2,000 times. */
    private static double[] medianInterval(List<Double> values) {
        SplittableRandom random = new SplittableRandom(7);
        List<Double> boot = new ArrayList<>();
        for (int b = 0; b < 2000; b++) {
            boot.add(Stats.median(resample(values, random)));
        }
        return new double[] {Stats.median(values), Stats.percentileOf(boot, 2.5), Stats.percentileOf(boot, 97.5)};
    }

    /**
     * How much more {@code with2} adds to {@code base2} than {@code with1} to {@code base1}, round by
     * round: the median of each round's {@code (with2 - base2) - (with1 - base1)}, with a 95%
     * bootstrap interval, resampling the rounds 2,000 times ({@link #pairedExtra}).
     */
    static double[] pairedExtraBeyond(List<Double> base1, List<Double> with1, List<Double> base2,
            List<Double> with2) {
        return pairedExtra(Stats.differences(with1, base1), Stats.differences(with2, base2));
    }

    private static List<Double> resample(List<Double> values, SplittableRandom random) {
        List<Double> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            out.add(values.get(random.nextInt(values.size())));
        }
        return out;
    }
}
