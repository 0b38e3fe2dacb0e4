package io.tailguard.agent.instrumentation;

import io.tailguard.agent.engine.FailureKind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.HttpRetryException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * Classifies the {@code java.net} failures that socket-based clients (Apache HttpClient 4.5 and 5)
 * let through unwrapped. Adapters check their library's own exception types first (a pool lease
 * timeout, a protocol error) and fall back to this.
 */
public final class AttemptFailures {

    private AttemptFailures() {
    }

    public static FailureKind classify(Throwable failure) {
        if (failure instanceof AsyncAttempt.NotSent) {
            return FailureKind.NOT_SENT;
        }
        if (failure instanceof Error || failure.getCause() instanceof Error) {
            // An OutOfMemoryError, say, wrapped by the client or by an adapter: another attempt
            // would only meet it again.
            return FailureKind.OTHER;
        }
        if (failure instanceof ConnectException || failure instanceof NoRouteToHostException) {
            return FailureKind.CONNECT;
        }
        if (failure instanceof SocketTimeoutException) {
            return FailureKind.TIMEOUT;
        }
        if (failure instanceof UnknownHostException || failure instanceof SSLException
                || failure instanceof InterruptedIOException) {
            // DNS and TLS failures do not heal in a retry; other interrupted I/O is an abort or a
            // wait for a pooled connection that ran out, which more attempts would only prolong.
            return FailureKind.OTHER;
        }
        if (failure instanceof ProtocolException || failure instanceof HttpRetryException) {
            // HttpURLConnection's own refusals after an answer: more redirects or authentication
            // challenges than it follows, a challenge or redirect it cannot answer with a body
            // it streamed. Another attempt would get the same answer.
            return FailureKind.OTHER;
        }
        // Connection reset, no response on a kept-alive connection, a truncated body: the
        // connection broke before a response arrived.
        return failure instanceof IOException ? FailureKind.RESET : FailureKind.OTHER;
    }

    /**
     * What a socket-based client's caller gets when Tailguard's {@code attempt-timeout} ends the
     * last attempt: the read timeout such clients always report for a server that does not answer.
     */
    public static SocketTimeoutException attemptTimeout(Duration timeout) {
        return new SocketTimeoutException("Read timed out: no response within the attempt timeout of "
                + timeout.toMillis() + " ms");
    }
}
