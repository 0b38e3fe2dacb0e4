package io.tailguard.agent;

import io.tailguard.agent.config.ConfigSources;
import io.tailguard.agent.config.TailguardConfig;
import io.tailguard.agent.engine.DaemonThreads;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClassFilePatch;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.HookTransformer;
import io.tailguard.agent.instrumentation.Instrumentations;
import io.tailguard.agent.instrumentation.MethodPrologue;
import io.tailguard.agent.instrumentation.urlconnection.HeaderLines;
import io.tailguard.agent.instrumentation.urlconnection.UrlConnectionInstrumentation;
import io.tailguard.agent.instrumentation.jdk.JdkHttpClientInstrumentation;
import io.tailguard.agent.instrumentation.jdk.WireTagging;
import io.tailguard.agent.instrumentation.okhttp.CodecTagging;
import io.tailguard.agent.instrumentation.okhttp.OkHttpInstrumentation;
import io.tailguard.agent.server.httpserver.HttpServerInstrumentation;
import io.tailguard.bootstrap.Dispatcher;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Installs the running agent, and keeps it for an attach that replaces its configuration:
 * bootstrap classes first (nothing here may touch them before), then the module read edge for
 * {@code java.net.http}, the transformer, and the retransformation of hooked classes that were
 * loaded before the agent. Everything costly is created on first use or on the housekeeping thread,
 * not here: the engine, its metrics and the configuration watcher are built there while the
 * application starts ({@link EngineStart}), Micrometer and the Prometheus endpoint load there, the
 * log on its first line, a client's interceptors when its first class is rewritten
 * ({@link InstallOnFirstHook}).
 */
final class AgentRuntime {

    /** The engine (and configuration) of the agent installed in this JVM; {@code null} until it is. */
    private static volatile EngineStart installed;

    private AgentRuntime() {
    }

    static void start(Instrumentation instrumentation, ConfigSources sources, TailguardConfig config) throws Exception {
        BootstrapClasses.define(instrumentation);
        installed = Installed.install(instrumentation, sources, config);
    }

    /**
     * An attach to a JVM where the agent runs: {@code argument} is a configuration file that replaces
     * the one in force (as a hot reload would: an invalid one is rejected and the last good one stays),
     * or {@value AgentStart#OFF}, which turns every hook pass-through.
     */
    static void replaceConfiguration(String installedBy, String argument) throws Exception {
        EngineStart start = installed;
        ConfigWatcher watcher = start == null ? null : start.watcher();
        if (start != null && watcher == null) {
            Log.warn("Tailguard is already running in this JVM (" + installedBy + "), but its engine did not "
                    + "start; nothing changed");
        } else if (watcher == null) {
            // The copy that installed is not reachable from here: its classes live in another class loader.
            Log.warn("Tailguard is already running in this JVM (" + installedBy + "), but its configuration "
                    + "cannot be changed from this copy of the agent; nothing changed");
        } else if (argument.isEmpty()) {
            Log.warn("Tailguard is already running in this JVM (" + installedBy + "); attached without a "
                    + "configuration file, so nothing changed. Attach with a file to replace the configuration, "
                    + "or with " + AgentStart.OFF + " to turn it off.");
        } else if (argument.equals(AgentStart.OFF)) {
            watcher.disable();
        } else {
            watcher.replaceSource(argument);
        }
    }

    /** Kept apart from {@link AgentRuntime} so that no bootstrap class is resolved before they are defined. */
    private static final class Installed {

        static EngineStart install(Instrumentation instrumentation, ConfigSources sources, TailguardConfig config) {
            InternalFailures failures = new InternalFailures();
            Dispatcher.setFailureReporter(failures);
            ScheduledThreadPoolExecutor housekeeping = new ScheduledThreadPoolExecutor(1,
                    DaemonThreads.named("tailguard-housekeeping"));
            housekeeping.setRemoveOnCancelPolicy(true);
            EngineStart engine = EngineStart.begin(sources, config, failures, housekeeping);
            housekeeping.execute(new WarmUpRewriting());
            List<Hook> hooks = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<ClientInstrumentation> installing = new ArrayList<>();
            List<ClientInstrumentation> clients = Instrumentations.all();
            for (ClientInstrumentation client : clients) {
                if (config == null || config.instrumentationEnabled(client.name())) {
                    installing.add(client);
                    hooks.addAll(client.hooks());
                    names.add(client.name());
                }
            }
            readEdgeForJavaNetHttp(instrumentation);
            if (names.contains(HttpServerInstrumentation.NAME)) {
                readEdgeToDispatcher(instrumentation, HttpServerInstrumentation.MODULE);
            }
            if (names.contains(UrlConnectionInstrumentation.NAME)) {
                openJavaBaseForUrlConnection(instrumentation);
                HeaderLines.register(instrumentation);
            }
            if (names.contains(OkHttpInstrumentation.NAME)) {
                CodecTagging.register(instrumentation);
            }
            AgentStatus status = new AgentStatus(failures, clients, names);
            HookTransformer transformer = new HookTransformer(hooks, new InstallOnFirstHook(installing, engine, status));
            instrumentation.addTransformer(transformer, true);
            if (names.contains(JdkHttpClientInstrumentation.NAME)) {
                // Its transformer is added when the client is first hooked, and removed when done.
                WireTagging.register(instrumentation);
            }
            retransformLoaded(instrumentation, transformer);
            status.publish(sources.file() == null ? null : sources.file().toAbsolutePath().toString(),
                    config == null ? "pass-through (invalid configuration)" : config.mode().name().toLowerCase(Locale.ROOT));
            if (config != null && Log.enabled("debug")) {
                Log.debug("active: " + config + ", clients " + names);
            }
            return engine;
        }

        /**
         * After the engine, on the housekeeping thread: the class loading of the first rewrite and
         * of the first handled request, done before the application gets to them ({@link
         * MethodPrologue}'s classes, {@link Engine#loadRequestPath}).
         */
        private static final class WarmUpRewriting implements Runnable {
            @Override
            public void run() {
                try {
                    ClassLoader loader = MethodPrologue.class.getClassLoader();
                    for (Class<?> type : new Class<?>[] {MethodPrologue.class, ClassFilePatch.class,
                            ClassFilePatch.Bytes.class, ClassFilePatch.Member.class}) {
                        Class.forName(type.getName(), true, loader);
                    }
                    Engine.loadRequestPath();
                } catch (Throwable failure) {
                    // Only time is lost: the first hooked class then loads these classes itself.
                    Log.debug("rewriting could not be warmed up: " + failure);
                }
            }
        }

        /**
         * Lets {@code java.net.http}'s instrumented code link against the bootstrap dispatcher, and
         * opens to the agent the packages whose private members the JDK adapter uses
         * ({@link JdkHttpClientInstrumentation#OPENED_PACKAGES}).
         */
        private static void readEdgeForJavaNetHttp(Instrumentation instrumentation) {
            Module bootstrapUnnamed = Dispatcher.class.getModule();
            Module agent = AgentRuntime.class.getModule();
            Optional<Module> http = ModuleLayer.boot().findModule("java.net.http");
            if (http.isEmpty()) {
                return;
            }
            Set<Module> reads = http.get().canRead(bootstrapUnnamed) ? Set.of() : Set.of(bootstrapUnnamed);
            Map<String, Set<Module>> opens = new HashMap<>();
            for (String pkg : JdkHttpClientInstrumentation.OPENED_PACKAGES) {
                if (!http.get().isOpen(pkg, agent)) {
                    opens.put(pkg, Set.of(agent));
                }
            }
            if (!reads.isEmpty() || !opens.isEmpty()) {
                instrumentation.redefineModule(http.get(), reads, Map.of(), opens, Set.of(), Map.of());
            }
        }

        /** Lets a JDK module's instrumented code link against the bootstrap dispatcher. */
        private static void readEdgeToDispatcher(Instrumentation instrumentation, String moduleName) {
            Module bootstrapUnnamed = Dispatcher.class.getModule();
            Optional<Module> module = ModuleLayer.boot().findModule(moduleName);
            if (module.isPresent() && !module.get().canRead(bootstrapUnnamed)) {
                instrumentation.redefineModule(module.get(), Set.of(bootstrapUnnamed), Map.of(), Map.of(), Set.of(),
                        Map.of());
            }
        }

        /**
         * Lets {@code java.base}'s instrumented {@code HttpURLConnection} link against the bootstrap
         * dispatcher, and opens the packages the adapter reads to the agent's own module.
         */
        private static void openJavaBaseForUrlConnection(Instrumentation instrumentation) {
            Module bootstrapUnnamed = Dispatcher.class.getModule();
            Module base = Object.class.getModule();
            Module agent = UrlConnectionInstrumentation.class.getModule();
            Map<String, Set<Module>> opens = new HashMap<>();
            for (String pkg : UrlConnectionInstrumentation.OPENED_PACKAGES) {
                opens.put(pkg, Set.of(agent));
            }
            instrumentation.redefineModule(base, Set.of(bootstrapUnnamed), Map.of(), opens, Set.of(), Map.of());
        }

        private static void retransformLoaded(Instrumentation instrumentation, HookTransformer transformer) {
            List<Class<?>> loaded = new ArrayList<>();
            for (Class<?> type : instrumentation.getAllLoadedClasses()) {
                if (transformer.hooks(type.getName()) && instrumentation.isModifiableClass(type)) {
                    loaded.add(type);
                }
            }
            for (Class<?> type : loaded) {
                try {
                    instrumentation.retransformClasses(type);
                } catch (Throwable failure) {
                    Log.warn("could not instrument already loaded " + type.getName()
                            + "; its requests pass through untouched", failure);
                }
            }
        }
    }
}
