package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.Log;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Starts an exchange the way {@code HttpClient.send} does, without waiting for it: {@code send} is
 * {@code sendAsync(request, handler, null, null)} on {@code HttpClientImpl}'s private four-argument
 * method followed by {@code get()} (JDK 11 to 25). With no executor the JDK writes the request on
 * the calling thread and completes the future on its own threads; the public {@code sendAsync}
 * instead schedules the exchange on the client's executor and completes its future through
 * {@code CompletableFuture}'s default executor (a new thread per call on two CPUs or fewer), which
 * cost a hedgeable {@code send} 0.4 ms at the median and 2.5 ms at p90 on a loaded two-core machine.
 * The agent opens the package to itself at startup; where it could not (or a JDK lacks the
 * method), the public {@code sendAsync} is used.
 */
public final class SendWithoutHandOff {

    /** The package the private method lives in. */
    public static final String PACKAGE = "jdk.internal.net.http";
    private static final String CLIENT_IMPL = PACKAGE + ".HttpClientImpl";

    private static final Class<?> IMPL;
    private static final MethodHandle SEND_ASYNC;

    static {
        Class<?> impl = null;
        MethodHandle sendAsync = null;
        try {
            impl = Class.forName(CLIENT_IMPL, false, HttpClient.class.getClassLoader());
            MethodType parameters = MethodType.methodType(CompletableFuture.class, HttpRequest.class,
                    HttpResponse.BodyHandler.class, HttpResponse.PushPromiseHandler.class, Executor.class);
            // Typed as the call below is, so that it is an invokeExact: a plain invoke adapted the
            // handle's type on every call, half a microsecond of a hedgeable send's processor time.
            sendAsync = MethodHandles.privateLookupIn(impl, MethodHandles.lookup()).findVirtual(impl, "sendAsync",
                    parameters).asType(parameters.insertParameterTypes(0, HttpClient.class));
        } catch (Throwable unavailable) {
            Log.debug("hedgeable JDK send attempts use the public sendAsync: " + unavailable);
        }
        IMPL = impl;
        SEND_ASYNC = sendAsync;
    }

    private SendWithoutHandOff() {
    }

    @SuppressWarnings("unchecked")
    static CompletableFuture<HttpResponse<Object>> sendAsync(HttpClient client, HttpRequest request,
            HttpResponse.BodyHandler<Object> handler) throws Throwable {
        if (SEND_ASYNC != null && IMPL.isInstance(client)) {
            return (CompletableFuture<HttpResponse<Object>>) SEND_ASYNC.invokeExact(client, request, handler,
                    (HttpResponse.PushPromiseHandler<?>) null, (Executor) null);
        }
        return client.sendAsync(request, handler, null);
    }
}
