package io.tailguard.agent.engine;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * A client double for engine tests: it records every attempt the engine sends and lets the test
 * decide, attempt by attempt, what the "server" answered. It stands in for the client, never for
 * the engine.
 */
class ScriptedExchange implements Exchange<ScriptedExchange.Response> {

    final List<Sent> sent = new ArrayList<>();
    final List<Response> discarded = new ArrayList<>();
    String method = "GET";
    boolean replayable = true;
    final Map<String, String> requestHeaders = new HashMap<>();
    long clientTimeoutNanos = Long.MAX_VALUE;
    RuntimeException statusFailure;
    /** Like the JDK client: cancelling an attempt reports its cancellation on the spot. */
    boolean cancelReportsAtOnce;
    /** Like the JDK client: a losing attempt can be left to finish, its response dropped. */
    boolean losersFinish;

    @Override
    public String method() {
        return method;
    }

    @Override
    public boolean replayable() {
        return replayable;
    }

    @Override
    public String requestHeader(String name) {
        return requestHeaders.get(name);
    }

    @Override
    public long clientTimeoutNanos() {
        return clientTimeoutNanos;
    }

    @Override
    public synchronized Attempt send(AttemptSpec spec, AttemptListener<Response> listener, Executor blockingWork) {
        Sent attempt = new Sent(spec, listener);
        sent.add(attempt);
        return new Attempt() {
            @Override
            public void cancel() {
                attempt.cancelled = true;
                if (cancelReportsAtOnce) {
                    listener.onFailure(new java.util.concurrent.CancellationException("cancelled"));
                }
            }

            @Override
            public void lose() {
                if (losersFinish) {
                    attempt.lost = true;
                } else {
                    cancel();
                }
            }
        };
    }

    @Override
    public int status(Response response) {
        if (statusFailure != null) {
            throw statusFailure;
        }
        return response.status;
    }

    @Override
    public String responseHeader(Response response, String name) {
        return response.headers.get(name);
    }

    @Override
    public FailureKind classify(Throwable failure) {
        if (failure instanceof InterruptedException) {
            return FailureKind.ABORTED;
        }
        if (failure instanceof NoConnection) {
            return FailureKind.NOT_SENT;
        }
        if (failure instanceof ConnectException) {
            return FailureKind.CONNECT;
        }
        if (failure instanceof SocketTimeoutException) {
            return FailureKind.TIMEOUT;
        }
        if (failure instanceof IOException) {
            return FailureKind.RESET;
        }
        return FailureKind.OTHER;
    }

    @Override
    public synchronized void discard(Response response) {
        discarded.add(response);
    }

    @Override
    public Throwable timeoutFailure(Duration timeout) {
        return new SocketTimeoutException("timeout");
    }

    @Override
    public Throwable cancelledFailure() {
        return new IOException("Canceled");
    }

    synchronized Sent attempt(int number) {
        return sent.get(number - 1);
    }

    synchronized int attempts() {
        return sent.size();
    }

    static Response response(int status) {
        return new Response(status);
    }

    /** What the client reports when it had no connection for an attempt in time: {@link FailureKind#NOT_SENT}. */
    static final class NoConnection extends IOException {
        NoConnection() {
            super("no pooled connection within the hedge's wait");
        }
    }

    static final class Response {
        final int status;
        final Map<String, String> headers = new HashMap<>();

        Response(int status) {
            this.status = status;
        }

        Response header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        @Override
        public String toString() {
            return "response " + status;
        }
    }

    static final class Sent {
        final AttemptSpec spec;
        final AttemptListener<Response> listener;
        volatile boolean cancelled;
        volatile boolean lost;

        Sent(AttemptSpec spec, AttemptListener<Response> listener) {
            this.spec = spec;
            this.listener = listener;
        }

        void answer(int status) {
            listener.onResponse(response(status));
        }

        void answer(Response response) {
            listener.onResponse(response);
        }

        void fail(Throwable failure) {
            listener.onFailure(failure);
        }
    }
}
