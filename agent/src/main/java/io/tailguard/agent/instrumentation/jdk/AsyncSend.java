package io.tailguard.agent.instrumentation.jdk;

import io.tailguard.agent.engine.Exchange;
import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * One attempt made with {@code sendAsync}: every attempt of {@code sendAsync}, and the attempts of
 * a blocking {@code send} that a hedge may run beside. Such an attempt holds no thread while it
 * waits, so when another attempt wins it is simply left to finish: its body is read and dropped
 * and the JDK puts its connection back in the pool, where it would have been without the agent.
 * Aborting it instead closes an HTTP/1.1 connection; the JDK's pool hands out its idle connections
 * oldest first, so every connection closed leaves fewer idle ones and each is reused sooner after
 * its last response. Against a server that writes headers and body separately without
 * {@code TCP_NODELAY}, a connection reused within Linux's delayed-ACK timeout (40 ms and more) is
 * treated as interactive, the client's ACK of the headers is delayed, and the body waits for it:
 * 40 ms on requests that were never hedged.
 */
final class AsyncSend implements Runnable, Exchange.Attempt, HttpResponse.BodyHandler<Object>,
        BiConsumer<HttpResponse<Object>, Throwable> {

    private final JdkExchange exchange;
    private final HttpRequest request;
    private final Exchange.AttemptListener<HttpResponse<Object>> listener;
    private final boolean forSend;
    // Guarded by this.
    private CompletableFuture<HttpResponse<Object>> future;
    private boolean cancelled;

    /**
     * @param forSend whether the attempt belongs to a blocking {@code send}: its failures are then
     *     reported as {@code send} throws them
     */
    AsyncSend(JdkExchange exchange, HttpRequest request, Exchange.AttemptListener<HttpResponse<Object>> listener,
            boolean forSend) {
        this.exchange = exchange;
        this.request = request;
        this.listener = listener;
        this.forSend = forSend;
    }

    /** Starts the exchange and returns; the outcome reaches the listener from the client's threads. */
    @Override
    public void run() {
        CompletableFuture<HttpResponse<Object>> started;
        try {
            started = forSend ? SendWithoutHandOff.sendAsync(exchange.client(), request, this) : sendAsync();
        } catch (Throwable failure) {
            // What send would have thrown at once (an illegal request, a closed client).
            listener.onFailure(forSend ? asSendThrows(JdkExchange.unwrap(failure)) : failure);
            return;
        }
        boolean cancelNow;
        synchronized (this) {
            future = started;
            cancelNow = cancelled;
        }
        if (cancelNow) {
            started.cancel(true);
        }
        started.whenComplete(this);
    }

    /** The attempt's body handler: the exchange decides, when the status line arrives. */
    @Override
    public HttpResponse.BodySubscriber<Object> apply(HttpResponse.ResponseInfo info) {
        return exchange.bodyFor(info, listener);
    }

    /** The attempt's end, from the client's threads. */
    @Override
    public void accept(HttpResponse<Object> response, Throwable failure) {
        if (failure != null) {
            Throwable cause = JdkExchange.unwrap(failure);
            listener.onFailure(forSend ? asSendThrows(cause) : cause);
        } else {
            listener.onResponse(response);
        }
    }

    private CompletableFuture<HttpResponse<Object>> sendAsync() {
        Dispatcher.skipNextInterception();
        try {
            return exchange.client().sendAsync(request, this, null);
        } finally {
            Dispatcher.clearSkip();
        }
    }

    @Override
    public void cancel() {
        CompletableFuture<HttpResponse<Object>> started;
        synchronized (this) {
            cancelled = true;
            started = future;
        }
        if (started != null) {
            // Aborts the exchange since JDK 16.
            started.cancel(true);
        }
    }

    @Override
    public void lose() {
        // Left to finish: the engine answers its status line with a body that is read and dropped.
    }

    /**
     * The exception {@code HttpClient.send} throws for a failed exchange (the same mapping in JDK 17
     * and 25): a new exception of the type the application catches, with the client's as its cause.
     */
    static Throwable asSendThrows(Throwable cause) {
        if (cause instanceof CancellationException || cause instanceof Error) {
            return cause;
        }
        String msg = cause.getMessage();
        if (cause instanceof IllegalArgumentException) {
            return new IllegalArgumentException(msg, cause);
        }
        if (cause instanceof SecurityException) {
            return new SecurityException(msg, cause);
        }
        if (cause instanceof HttpConnectTimeoutException) {
            return initCause(new HttpConnectTimeoutException(msg), cause);
        }
        if (cause instanceof HttpTimeoutException) {
            return new HttpTimeoutException(msg);
        }
        if (cause instanceof ConnectException) {
            return initCause(new ConnectException(msg), cause);
        }
        if (cause instanceof SSLHandshakeException) {
            return initCause(new SSLHandshakeException(msg), cause);
        }
        if (cause instanceof SSLException) {
            return new SSLException(msg, cause);
        }
        if (cause instanceof ProtocolException) {
            return initCause(new ProtocolException(msg), cause);
        }
        return new IOException(msg, cause);
    }

    private static Throwable initCause(Throwable failure, Throwable cause) {
        failure.initCause(cause);
        return failure;
    }
}
