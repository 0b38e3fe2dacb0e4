package io.tailguard.agent.instrumentation.urlconnection;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.PolicyRuntime;
import io.tailguard.agent.instrumentation.ClientCalls;
import io.tailguard.bootstrap.CallInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.HttpURLConnection;
import java.net.URL;

/**
 * The JDK's {@code getOutputStream0}, where a request body starts. A body in a streaming mode to
 * a request the policy may send more than once is {@link HeldBody held} instead of going to the
 * socket as it is written; every other body is the JDK's business.
 */
final class UrlConnectionBodyInterceptor implements CallInterceptor {

    private final Engine engine;

    UrlConnectionBodyInterceptor(Engine engine) {
        this.engine = engine;
    }

    @Override
    public Object intercept(Object self, Object[] args) throws Exception {
        if (!(self instanceof HttpURLConnection)) {
            return Dispatcher.PROCEED;
        }
        HttpURLConnection connection = (HttpURLConnection) self;
        ConnectionFields fields = ConnectionFields.get(self.getClass());
        if (fields == null || !fields.streaming(connection) || fields.streamingOutput(connection) != null) {
            // No streaming mode (the JDK holds the body itself), or the body is streaming already.
            return Dispatcher.PROCEED;
        }
        long limit = engine.config().bufferLimits().maxResponseBytes();
        long fixedLength = fields.fixedLength(connection);
        if (fields.holdsBody(connection)) {
            // getOutputStream() again: the same body.
            return Outcome.returning(new HeldBody(connection, fields, fields.bodyBuffer(connection), limit, fixedLength));
        }
        if (!worthHolding(connection, fields, limit, fixedLength)) {
            return Dispatcher.PROCEED;
        }
        // The JDK's own getOutputStream0 without the streaming mode: its checks, its connect, and
        // its buffer for a body sent whole, which then holds the body. The mode is put back, so
        // a body that outgrows the buffer can still be streamed as the application asked.
        long[] mode = fields.clearStreamingMode(connection);
        Object buffer;
        Dispatcher.skipNextInterception();
        try {
            buffer = fields.body.invoke(connection, ConnectionFields.NO_ARGUMENTS);
        } catch (InvocationTargetException e) {
            return Outcome.throwing(e.getCause());
        } finally {
            Dispatcher.clearSkip();
            fields.restoreStreamingMode(connection, mode);
        }
        return Outcome.returning(new HeldBody(connection, fields, (ByteArrayOutputStream) buffer, limit, fixedLength));
    }

    /** Whether the policy may send this request again, and its body may fit in what may be held. */
    private boolean worthHolding(HttpURLConnection connection, ConnectionFields fields, long limit, long fixedLength)
            throws ReflectiveOperationException {
        if (limit <= 0 || fixedLength > limit || !connection.getDoOutput()) {
            return false;
        }
        if ("100-continue".equalsIgnoreCase(fields.liveRequestHeader(connection, "Expect"))) {
            // The application waits for the server's go-ahead before it sends the body.
            return false;
        }
        URL url = connection.getURL();
        PolicyRuntime policy = ClientCalls.policyFor(engine, url.getHost(), url.getPort(), url.getProtocol());
        if (policy == null) {
            return false;
        }
        // The JDK sends a GET with a body as a POST.
        String method = "GET".equals(connection.getRequestMethod()) ? "POST" : connection.getRequestMethod();
        return engine.mayRepeat(policy, method, fields.liveRequestHeader(connection, Engine.IDEMPOTENCY_KEY) != null);
    }
}
