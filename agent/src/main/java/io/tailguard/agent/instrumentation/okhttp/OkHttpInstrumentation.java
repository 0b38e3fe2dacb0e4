package io.tailguard.agent.instrumentation.okhttp;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.instrumentation.LibraryBridge;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * OkHttp 3.14.x, 4.x and 5.x. Every {@code okhttp3.Call} an application gets from
 * {@code OkHttpClient.newCall} (Retrofit's included) is a {@code RealCall}: {@code okhttp3.RealCall}
 * in 3.x, {@code okhttp3.internal.connection.RealCall} in 4.x and 5.x. Its {@code execute()},
 * {@code enqueue(Callback)} and {@code cancel()} are public {@code Call} methods with the same
 * descriptors in all three (checked with javap on 3.14.9, 4.12.0 and okhttp-jvm 5.5.1), so no
 * Kotlin-mangled internal name is involved. Wrappers around a {@code Call} end in these methods,
 * and the engine's own attempts are marked to pass through, so each logical request is handled
 * once.
 *
 * <p>The adapter ({@code ...okhttp.adapter}) is compiled against OkHttp 3.14.9 and runs through
 * {@link LibraryBridge} in whichever class loader loaded OkHttp.
 */
public final class OkHttpInstrumentation implements ClientInstrumentation {

    public static final String NAME = "okhttp";
    static final String CALL_3 = "okhttp3/RealCall";
    static final String CALL_4_AND_5 = "okhttp3/internal/connection/RealCall";
    static final String ADAPTER_PACKAGE = "io.tailguard.agent.instrumentation.okhttp.adapter";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Hook> hooks() {
        return List.of(
                new Hook(CALL_3, "execute", "()Lokhttp3/Response;", Dispatcher.OKHTTP_EXECUTE),
                new Hook(CALL_3, "enqueue", "(Lokhttp3/Callback;)V", Dispatcher.OKHTTP_ENQUEUE),
                new Hook(CALL_3, "cancel", "()V", Dispatcher.OKHTTP_CANCEL),
                new Hook(CALL_4_AND_5, "execute", "()Lokhttp3/Response;", Dispatcher.OKHTTP_EXECUTE),
                new Hook(CALL_4_AND_5, "enqueue", "(Lokhttp3/Callback;)V", Dispatcher.OKHTTP_ENQUEUE),
                new Hook(CALL_4_AND_5, "cancel", "()V", Dispatcher.OKHTTP_CANCEL));
    }

    /** The bridge {@link #install} made, once OkHttp's call class was first rewritten. */
    private static volatile LibraryBridge installed;

    @Override
    public void install(Engine engine) {
        LibraryBridge bridge = new LibraryBridge(ADAPTER_PACKAGE, ADAPTER_PACKAGE + ".OkHttpCallInterceptor", engine);
        bridge.install(Dispatcher.OKHTTP_EXECUTE);
        bridge.install(Dispatcher.OKHTTP_ENQUEUE);
        bridge.install(Dispatcher.OKHTTP_CANCEL);
        installed = bridge;
    }

    /**
     * Loads the call class of the OkHttp in {@code loader}, so that it is rewritten and this client
     * installed, and makes that OkHttp's adapter: on the agent's thread that prepares the codecs
     * as the application builds its client ({@link CodecTagging#prepare}), rather than on the
     * application's thread as it makes its first call: that call 3.3 ms [0.9–5.0] shorter in a
     * small application on a slow host, whose first response still comes no sooner, as the work
     * competes with the application for the two cores. Where this fails, the first call does it,
     * as before.
     */
    static void prepareCalls(ClassLoader loader) {
        for (String call : List.of(CALL_4_AND_5, CALL_3)) {
            Class<?> type;
            try {
                type = Class.forName(call.replace('/', '.'), false, loader);
            } catch (ClassNotFoundException otherVersion) {
                continue;
            }
            LibraryBridge bridge = installed;
            if (bridge != null) {
                bridge.adapterFor(type);
            }
            return;
        }
    }
}
