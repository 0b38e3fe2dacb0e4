package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.Execution;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.agent.instrumentation.ClientCalls;
import io.tailguard.bootstrap.CallInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ResponseCache;
import java.net.URL;

/**
 * The JDK's {@code getInputStream0}, where an {@code HttpURLConnection} makes its exchange (every
 * method that needs the response gets there first). Only a connection's first exchange is
 * handled; afterwards the JDK answers from what it remembers, as it does without the agent.
 */
final class UrlConnectionInterceptor implements CallInterceptor {

    private final Engine engine;

    UrlConnectionInterceptor(Engine engine) {
        this.engine = engine;
    }

    @Override
    public Object intercept(Object self, Object[] args) throws Exception {
        if (!(self instanceof HttpURLConnection)) {
            return Dispatcher.PROCEED;
        }
        HttpURLConnection connection = (HttpURLConnection) self;
        ConnectionFields fields = ConnectionFields.get(self.getClass());
        if (fields != null && fields.holdsBody(connection)) {
            sendHeldBody(connection, fields);
        } else if (fields != null && fields.streaming(connection) && fields.streamingOutput(connection) == null
                && fields.fresh(connection)) {
            return openStreamingBody(connection);
        }
        URL url = connection.getURL();
        PolicyRuntime policy = ClientCalls.policyFor(engine, url.getHost(), url.getPort(), url.getProtocol());
        if (policy == null) {
            return Dispatcher.PROCEED;
        }
        if (fields == null || !fields.fresh(connection) || !connection.getDoInput()) {
            // Not the first exchange (the JDK answers from the response it has, or rethrows what
            // it remembers), or one the JDK refuses by itself.
            return Dispatcher.PROCEED;
        }
        if (fields.streaming(connection)) {
            // A fixed-length or chunked streaming body went to the socket as it was written: it
            // is sent once, untouched.
            return Dispatcher.PROCEED;
        }
        if (Thread.currentThread().isInterrupted()) {
            // The JDK's blocking socket I/O ignores the interrupt flag, so the plain exchange goes
            // ahead; waiting for attempts would not. Left as the JDK makes it.
            return Dispatcher.PROCEED;
        }
        if (connection.getUseCaches() && ResponseCache.getDefault() != null) {
            // A response cache may answer without an exchange: the JDK's own business.
            return Dispatcher.PROCEED;
        }
        UrlConnectionExchange exchange = new UrlConnectionExchange(connection, fields, fields.capture(connection));
        Execution<UrlConnectionExchange.Attempted> execution = engine.newExecution(policy, exchange, true);
        if (execution == null) {
            return Dispatcher.PROCEED;
        }
        execution.start();
        UrlConnectionExchange.Attempted result;
        try {
            result = execution.await();
        } catch (IOException | RuntimeException | Error failure) {
            return Outcome.throwing(failure);
        } catch (Throwable other) {
            return Outcome.throwing(new IOException(other.getMessage(), other));
        }
        try {
            exchange.deliverTo(result);
        } catch (RuntimeException | LinkageError e) {
            // The JDK's members were resolved and checked when the agent installed (those a hedge
            // copies, when it was sent); failing to set them now leaves no response the
            // application could be given.
            return Outcome.throwing(new IOException("the response could not be handed over", e));
        }
        if (result.thrown != null) {
            // An error status: getInputStream throws, and the connection remembers it, as the JDK left it.
            return Outcome.throwing(result.thrown);
        }
        return Outcome.returning(result.stream);
    }

    /**
     * A body held whole in case the request is sent again ({@link HeldBody}) goes out like a body
     * written without a streaming mode, whatever happens next (even when the policy has gone
     * since); one short of its announced length is streamed, and the JDK reports the shortfall.
     */
    private static void sendHeldBody(HttpURLConnection connection, ConnectionFields fields) throws Exception {
        long fixedLength = fields.fixedLength(connection);
        if (fixedLength >= 0 && fields.bodyBuffer(connection).size() != fixedLength) {
            HeldBody.commit(connection, fields);
        } else {
            fields.clearStreamingMode(connection);
        }
    }

    /**
     * A streaming-mode request whose body the application never opened: the JDK opens it at this
     * point itself and sends it as it is (the request is sent once). Opened here, past the body
     * hook, so that it is not held: the JDK would not use a held body's stream.
     */
    private static Object openStreamingBody(HttpURLConnection connection) {
        Dispatcher.skipNextInterception();
        try {
            connection.getOutputStream();
        } catch (IOException | RuntimeException failure) {
            return Outcome.throwing(failure);
        } finally {
            Dispatcher.clearSkip();
        }
        return Dispatcher.PROCEED;
    }
}
