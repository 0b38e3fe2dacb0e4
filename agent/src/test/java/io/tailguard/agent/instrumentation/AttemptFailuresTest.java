package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tailguard.agent.engine.FailureKind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.HttpRetryException;
import java.net.ProtocolException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class AttemptFailuresTest {

    @Test
    void classifiesSocketFailuresByWhatARetryCouldFix() {
        assertEquals(FailureKind.CONNECT, AttemptFailures.classify(new ConnectException("refused")));
        assertEquals(FailureKind.TIMEOUT, AttemptFailures.classify(new SocketTimeoutException("read")));
        assertEquals(FailureKind.RESET, AttemptFailures.classify(new SocketException("Connection reset")));
        assertEquals(FailureKind.RESET, AttemptFailures.classify(new IOException("no response")));
        assertEquals(FailureKind.OTHER, AttemptFailures.classify(new UnknownHostException("nowhere")));
        assertEquals(FailureKind.OTHER, AttemptFailures.classify(new SSLHandshakeException("bad cert")));
        assertEquals(FailureKind.OTHER, AttemptFailures.classify(new InterruptedIOException("aborted")));
        assertEquals(FailureKind.OTHER, AttemptFailures.classify(new IllegalStateException("bug")));
    }

    @Test
    void httpUrlConnectionsRefusalsAfterAnAnswerAreNotRetried() {
        assertEquals(FailureKind.OTHER,
                AttemptFailures.classify(new ProtocolException("Server redirected too many  times (20)")));
        assertEquals(FailureKind.OTHER, AttemptFailures.classify(
                new HttpRetryException("cannot retry due to server authentication, in streaming mode", 401)));
    }
}
