package io.tailguard.agent;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.HookTransformer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Puts a client's interceptors into their dispatcher slots when the first of its classes is
 * rewritten, rather than in premain: an application that uses one client does not load the
 * interceptors, adapters and bridges of the others at startup. It runs before the rewritten class
 * is handed back to the JVM, so no hooked method can run before its interceptor is in place; until
 * then the slot is empty and a call would pass through, as it does for a client not loaded at all.
 * A client whose interceptors cannot be created leaves that class as it was (the transformer's
 * failure path), and is tried again with its next class. The engine is built while the application
 * starts ({@link EngineStart}): the first install waits for it, and without one (it could not be
 * built) nothing is installed and the class is left as it was.
 */
final class InstallOnFirstHook implements HookTransformer.Listener {

    private final Map<String, ClientInstrumentation> clientByType = new HashMap<>();
    private final Set<String> installed = new HashSet<>();
    private final Supplier<Engine> engine;
    private final HookTransformer.Listener delegate;

    InstallOnFirstHook(List<ClientInstrumentation> clients, Supplier<Engine> engine, HookTransformer.Listener delegate) {
        for (ClientInstrumentation client : clients) {
            for (Hook hook : client.hooks()) {
                clientByType.put(hook.type(), client);
            }
        }
        this.engine = engine;
        this.delegate = delegate;
    }

    @Override
    public void transformed(String type) {
        ClientInstrumentation client = clientByType.get(type);
        if (client != null) {
            install(client);
        }
        delegate.transformed(type);
    }

    @Override
    public void failed(String type, Throwable failure) {
        delegate.failed(type, failure);
    }

    private void install(ClientInstrumentation client) {
        synchronized (this) {
            if (installed.contains(client.name())) {
                return;
            }
        }
        // Waited for outside this object's lock: a class another thread rewrites meanwhile (one the
        // engine's construction loads, say) must not queue behind the wait.
        Engine running = engine.get();
        if (running == null) {
            throw new IllegalStateException("the engine did not start; " + client.name() + " is not instrumented");
        }
        synchronized (this) {
            if (!installed.contains(client.name())) {
                client.install(running);
                installed.add(client.name());
            }
        }
    }
}
