package io.tailguard.bench.overhead.bytebuddy;

import io.tailguard.bootstrap.Dispatcher;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.matcher.ElementMatchers;
import net.bytebuddy.utility.JavaModule;

/**
 * The startup benchmark's other way to hook the clients: Tailguard's hooks (the same classes and
 * methods, each calling {@code Dispatcher.enter(slot, this, args)} and returning or throwing what
 * it answers) installed with Byte Buddy's {@code AgentBuilder} and inlined {@code Advice}, in the
 * cheapest configuration Byte Buddy offers for it: no type validation, no Nexus (no-op
 * initialization), classes decorated in place rather than rebased, types described from their
 * class files by a lazy type pool without loading them, and an ignore matcher that lets through
 * only the hooked class names. Like Tailguard it also hooks classes loaded before it
 * (retransformation) and gives {@code java.net.http} a read edge to the dispatcher.
 *
 * <p>No interceptor is installed, so every hooked call proceeds: the agent does nothing but hook,
 * which is all that differs between the two styles (Tailguard's own variant also reads its
 * configuration and builds its engine, so the comparison favours Byte Buddy). It writes one line
 * to stderr per class it hooked, for the benchmark to check that the hooks were applied.
 */
public final class ByteBuddyHooksAgent {

    private static final String APACHE4_EXECUTE = "(Lorg/apache/http/HttpHost;Lorg/apache/http/HttpRequest;"
            + "Lorg/apache/http/protocol/HttpContext;)Lorg/apache/http/client/methods/CloseableHttpResponse;";
    private static final String APACHE5_EXECUTE = "(Lorg/apache/hc/core5/http/HttpHost;"
            + "Lorg/apache/hc/core5/http/ClassicHttpRequest;Lorg/apache/hc/core5/http/protocol/HttpContext;)"
            + "Lorg/apache/hc/client5/http/impl/classic/CloseableHttpResponse;";
    private static final String APACHE5_ASYNC_EXECUTE = "(Lorg/apache/hc/core5/http/HttpHost;"
            + "Lorg/apache/hc/core5/http/nio/AsyncRequestProducer;Lorg/apache/hc/core5/http/nio/AsyncResponseConsumer;"
            + "Lorg/apache/hc/core5/http/nio/HandlerFactory;Lorg/apache/hc/core5/http/protocol/HttpContext;"
            + "Lorg/apache/hc/core5/concurrent/FutureCallback;)Ljava/util/concurrent/Future;";

    /** Tailguard's request hooks, client by client (the agent's {@code instrumentation} packages). */
    private static final List<HookedMethod> HOOKS = List.of(
            new HookedMethod("jdk.internal.net.http.HttpClientImpl", "send",
                    "(Ljava/net/http/HttpRequest;Ljava/net/http/HttpResponse$BodyHandler;)Ljava/net/http/HttpResponse;",
                    Dispatcher.JDK_SEND),
            new HookedMethod("jdk.internal.net.http.HttpClientImpl", "sendAsync",
                    "(Ljava/net/http/HttpRequest;Ljava/net/http/HttpResponse$BodyHandler;)"
                            + "Ljava/util/concurrent/CompletableFuture;", Dispatcher.JDK_SEND_ASYNC),
            new HookedMethod("jdk.internal.net.http.HttpClientImpl", "sendAsync",
                    "(Ljava/net/http/HttpRequest;Ljava/net/http/HttpResponse$BodyHandler;"
                            + "Ljava/net/http/HttpResponse$PushPromiseHandler;)Ljava/util/concurrent/CompletableFuture;",
                    Dispatcher.JDK_SEND_ASYNC),
            new HookedMethod("okhttp3.RealCall", "execute", "()Lokhttp3/Response;", Dispatcher.OKHTTP_EXECUTE),
            new HookedMethod("okhttp3.RealCall", "enqueue", "(Lokhttp3/Callback;)V", Dispatcher.OKHTTP_ENQUEUE),
            new HookedMethod("okhttp3.RealCall", "cancel", "()V", Dispatcher.OKHTTP_CANCEL),
            new HookedMethod("okhttp3.internal.connection.RealCall", "execute", "()Lokhttp3/Response;",
                    Dispatcher.OKHTTP_EXECUTE),
            new HookedMethod("okhttp3.internal.connection.RealCall", "enqueue", "(Lokhttp3/Callback;)V",
                    Dispatcher.OKHTTP_ENQUEUE),
            new HookedMethod("okhttp3.internal.connection.RealCall", "cancel", "()V", Dispatcher.OKHTTP_CANCEL),
            new HookedMethod("org.apache.http.impl.client.InternalHttpClient", "doExecute", APACHE4_EXECUTE,
                    Dispatcher.APACHE4_EXECUTE),
            new HookedMethod("org.apache.http.impl.client.MinimalHttpClient", "doExecute", APACHE4_EXECUTE,
                    Dispatcher.APACHE4_EXECUTE),
            new HookedMethod("org.apache.hc.client5.http.impl.classic.InternalHttpClient", "doExecute",
                    APACHE5_EXECUTE, Dispatcher.APACHE5_EXECUTE),
            new HookedMethod("org.apache.hc.client5.http.impl.classic.MinimalHttpClient", "doExecute",
                    APACHE5_EXECUTE, Dispatcher.APACHE5_EXECUTE),
            new HookedMethod("org.apache.hc.client5.http.impl.async.InternalAbstractHttpAsyncClient", "doExecute",
                    APACHE5_ASYNC_EXECUTE, Dispatcher.APACHE5_ASYNC_EXECUTE),
            new HookedMethod("org.apache.hc.client5.http.impl.async.AbstractMinimalHttpAsyncClientBase", "doExecute",
                    APACHE5_ASYNC_EXECUTE, Dispatcher.APACHE5_ASYNC_EXECUTE));

    private ByteBuddyHooksAgent() {
    }

    public static void premain(String arguments, Instrumentation instrumentation) {
        Set<String> types = new HashSet<>();
        for (HookedMethod hook : HOOKS) {
            types.add(hook.type);
        }
        new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED))
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                .with(AgentBuilder.PoolStrategy.Default.FAST)
                .with(AgentBuilder.DescriptionStrategy.Default.POOL_ONLY)
                .assureReadEdgeTo(instrumentation, Dispatcher.class)
                .ignore(ElementMatchers.not(ElementMatchers.namedOneOf(types.toArray(new String[0]))))
                .with(new AgentBuilder.Listener.Adapter() {
                    @Override
                    public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module,
                            boolean loaded, DynamicType dynamicType) {
                        System.err.println("[bench] hooked " + type.getName());
                    }

                    @Override
                    public void onError(String type, ClassLoader loader, JavaModule module, boolean loaded,
                            Throwable failure) {
                        System.err.println("[bench] could not hook " + type + ": " + failure);
                    }
                })
                .type(ElementMatchers.namedOneOf(types.toArray(new String[0])))
                .transform(ByteBuddyHooksAgent::hook)
                .installOn(instrumentation);
    }

    private static DynamicType.Builder<?> hook(DynamicType.Builder<?> builder, TypeDescription type,
            ClassLoader loader, JavaModule module, ProtectionDomain domain) {
        List<HookedMethod> methods = new ArrayList<>();
        for (HookedMethod hook : HOOKS) {
            if (hook.type.equals(type.getName())) {
                methods.add(hook);
            }
        }
        for (HookedMethod hook : methods) {
            boolean returnsVoid = hook.descriptor.endsWith(")V");
            Advice advice = Advice.withCustomMapping().bind(Slot.class, hook.slot)
                    .to(Enter.class, returnsVoid ? VoidOutcome.class : ReturnOutcome.class);
            builder = builder.visit(advice.on(ElementMatchers.named(hook.method)
                    .and(ElementMatchers.hasDescriptor(hook.descriptor))));
        }
        return builder;
    }

    /** The dispatcher slot of the hooked method, bound per method. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.PARAMETER)
    public @interface Slot {
    }

    /** The prologue: asks the dispatcher, and skips the method when it answers with an outcome. */
    public static final class Enter {
        private Enter() {
        }

        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
        public static Object enter(@Slot int slot, @Advice.This(optional = true) Object self,
                @Advice.AllArguments Object[] args) {
            Object decision = Dispatcher.enter(slot, self, args);
            return decision == Dispatcher.PROCEED ? null : decision;
        }
    }

    /** Returns (or throws) the dispatcher's outcome instead of the skipped method's result. */
    public static final class ReturnOutcome {
        private ReturnOutcome() {
        }

        @Advice.OnMethodExit
        public static void exit(@Advice.Enter Object decision,
                @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object returned) throws Throwable {
            if (decision != null) {
                returned = Dispatcher.complete(decision);
            }
        }
    }

    /** The same for a void method: only a failure to throw. */
    public static final class VoidOutcome {
        private VoidOutcome() {
        }

        @Advice.OnMethodExit
        public static void exit(@Advice.Enter Object decision) throws Throwable {
            if (decision != null) {
                Dispatcher.complete(decision);
            }
        }
    }

    private static final class HookedMethod {
        final String type;
        final String method;
        final String descriptor;
        final int slot;

        HookedMethod(String type, String method, String descriptor, int slot) {
            this.type = type;
            this.method = method;
            this.descriptor = descriptor;
            this.slot = slot;
        }
    }
}
