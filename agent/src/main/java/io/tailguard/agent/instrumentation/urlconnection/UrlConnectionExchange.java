package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.agent.engine.AttemptSpec;
import io.tailguard.agent.engine.Exchange;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.instrumentation.AttemptFailures;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.bootstrap.Dispatcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;

/**
 * One exchange of an {@code HttpURLConnection} (plain or the delegate behind HTTPS). An attempt
 * runs the JDK's own exchange (its {@code getInputStream}, past the hook) on the application's
 * object when it runs on the application's thread (the primary and the retries after it), one
 * after the other: the object the application holds then reports whichever attempt ended the
 * request (status, headers, input and error streams, the exception {@code getInputStream} throws
 * for an error status), exactly as the JDK left it. Before a retry the previous response is closed as an
 * application closing it would (a kept-alive connection goes back to the JDK's cache) and the
 * request is put back as the application set it.
 *
 * <p>An attempt that runs while the application's thread is busy with another (a hedge, on a
 * worker) exchanges on a twin: a new connection of the JDK's own class made for the
 * application's request and settings. When a twin's response wins, the application's thread,
 * which has left its own attempt by then, {@link #deliverTo moves} the twin's exchange onto the
 * application's object. A twin that loses is closed: a cancelled attempt has its socket closed,
 * since blocking socket I/O cannot be interrupted, and a late response is closed as it arrives.
 *
 * <p>No response body is held in memory: a response stays on its connection until the engine
 * either hands it to the application or drops it.
 */
final class UrlConnectionExchange implements Exchange<UrlConnectionExchange.Attempted> {

    private final HttpURLConnection connection;
    private final ConnectionFields fields;
    private final ConnectionFields.Request request;
    private final Thread applicationThread;
    /** Whether an attempt has exchanged on the application's object yet. Only its thread touches it. */
    private boolean applicationObjectUsed;

    UrlConnectionExchange(HttpURLConnection connection, ConnectionFields fields, ConnectionFields.Request request) {
        this.connection = connection;
        this.fields = fields;
        this.request = request;
        this.applicationThread = Thread.currentThread();
    }

    @Override
    public String method() {
        return request.method;
    }

    @Override
    public boolean replayable() {
        // Streaming modes never reach here: a buffered body (or none) is kept by the JDK until
        // the exchange succeeds.
        return true;
    }

    @Override
    public boolean hedgeable() {
        // A hedge exchanges on a twin of the application's connection.
        return fields.canTwin(connection);
    }

    /**
     * Makes the application's object report {@code result}, on the application's thread once the
     * request has ended: when a twin exchanged it, the twin's exchange moves onto the object.
     */
    void deliverTo(Attempted result) {
        if (result.carrier != connection) {
            fields.adopt(connection, result.carrier);
        }
    }

    @Override
    public String requestHeader(String name) {
        return fields.requestHeader(request, name);
    }

    @Override
    public long clientTimeoutNanos() {
        // connectTimeout and readTimeout bound each attempt, as they bound each exchange the JDK makes.
        return Long.MAX_VALUE;
    }

    @Override
    public Attempt send(AttemptSpec spec, AttemptListener<Attempted> listener, Executor blockingWork) {
        Run run = new Run(spec, listener);
        blockingWork.execute(run);
        return run;
    }

    @Override
    public int status(Attempted response) {
        return response.status;
    }

    @Override
    public String responseHeader(Attempted response, String name) {
        return "Retry-After".equalsIgnoreCase(name) ? response.retryAfter
                : ServerEngine.SHED_HEADER.equalsIgnoreCase(name) ? response.shed : null;
    }

    @Override
    public FailureKind classify(Throwable failure) {
        return AttemptFailures.classify(failure);
    }

    @Override
    public void discard(Attempted response) {
        // A retry already closed it when it reset the connection; when no retry follows, close it
        // here. Closing twice does nothing.
        ConnectionFields.closeQuietly(response.errorStream);
        ConnectionFields.closeQuietly(response.stream);
        if (response.carrier != connection) {
            // A twin nobody will use: whatever its response left open on it goes too.
            fields.releaseQuietly(response.carrier);
        }
    }

    @Override
    public Throwable timeoutFailure(Duration timeout) {
        return AttemptFailures.attemptTimeout(timeout);
    }

    @Override
    public Throwable cancelledFailure() {
        return new IOException("request cancelled");
    }

    @Override
    public Throwable interruptedFailure(InterruptedException interrupted) {
        InterruptedIOException failure = new InterruptedIOException("request interrupted");
        failure.initCause(interrupted);
        return failure;
    }

    /** What an attempt left on the connection: a status and what {@code getInputStream} returned or threw. */
    static final class Attempted {
        /** The connection the attempt exchanged on: the application's own, or a twin. */
        final HttpURLConnection carrier;
        final int status;
        final String retryAfter;
        /** The {@value ServerEngine#SHED_HEADER} header of a refused attempt, or {@code null}. */
        final String shed;
        final InputStream stream;
        final InputStream errorStream;
        /** What {@code getInputStream} threw for this response (an error status), or {@code null}. */
        final Throwable thrown;

        Attempted(HttpURLConnection carrier, int status, String retryAfter, String shed, InputStream stream,
                InputStream errorStream, Throwable thrown) {
            this.carrier = carrier;
            this.status = status;
            this.retryAfter = retryAfter;
            this.shed = shed;
            this.stream = stream;
            this.errorStream = errorStream;
            this.thrown = thrown;
        }
    }

    /** One attempt, on the application's object when run on its thread, on a twin otherwise. */
    private final class Run implements Runnable, Attempt {
        private final AttemptSpec spec;
        private final AttemptListener<Attempted> listener;
        // Guarded by this.
        private boolean running;
        private boolean cancelled;
        private HttpURLConnection carrier;

        Run(AttemptSpec spec, AttemptListener<Attempted> listener) {
            this.spec = spec;
            this.listener = listener;
        }

        @Override
        public void run() {
            HttpURLConnection on;
            InputStream stream = null;
            Throwable thrown = null;
            byte[] tagLines;
            try {
                tagLines = HeaderLines.linesFor(spec, request, fields);
                on = Thread.currentThread() == applicationThread ? connection
                        : fields.twin(connection, request, spec, tagLines != null);
            } catch (Throwable e) {
                listener.onFailure(e);
                return;
            }
            synchronized (this) {
                if (cancelled) {
                    listener.onFailure(new CancellationException("request cancelled"));
                    return;
                }
                running = true;
                carrier = on;
            }
            try {
                Dispatcher.skipNextInterception();
                HeaderLines.pending(tagLines);
                try {
                    if (on == connection) {
                        fields.reset(connection, request, spec, !applicationObjectUsed, tagLines != null);
                        applicationObjectUsed = true;
                        stream = fields.exchange(connection);
                    } else {
                        // The twin's own public entry takes its lock as the JDK expects.
                        stream = on.getInputStream();
                    }
                } finally {
                    HeaderLines.pending(null);
                    Dispatcher.clearSkip();
                }
            } catch (Throwable e) {
                thrown = e;
            }
            synchronized (this) {
                running = false;
            }
            int status;
            try {
                status = fields.responseCode(on);
            } catch (Throwable e) {
                status = -1;
            }
            if (status <= 0) {
                if (on != connection) {
                    fields.releaseQuietly(on);
                }
                listener.onFailure(thrown != null ? thrown : new IOException("Invalid Http response"));
                return;
            }
            String retryAfter = null;
            String shed = null;
            InputStream error = null;
            try {
                if (Exchange.mayRetry(status)) {
                    // The engine asks for them of no other response (a lookup in the JDK's header list each).
                    retryAfter = fields.responseHeader(on, "Retry-After");
                    shed = fields.responseHeader(on, ServerEngine.SHED_HEADER);
                }
                error = fields.errorStream(on);
            } catch (Throwable ignored) {
                // Without them the response is still the response.
            }
            listener.onResponse(new Attempted(on, status, retryAfter, shed, stream, error, thrown));
        }

        @Override
        public void cancel() {
            HttpURLConnection on;
            synchronized (this) {
                cancelled = true;
                if (!running) {
                    return;
                }
                on = carrier;
            }
            // Blocking socket I/O cannot be interrupted: closing the socket ends it.
            fields.abort(on);
        }
    }
}
