package io.tailguard.agent.instrumentation.jdk;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

/** The JDK client's own failures on an answer, told apart from a broken connection's by their messages. */
class JdkFailuresTest {

    @Test
    void failuresTheClientRaisesOnAnAnswerAreAnswered() {
        assertTrue(JdkExchange.answered(new IOException("too many authentication attempts. Limit: 3")));
        assertTrue(JdkExchange.answered(new IOException("No credentials provided")));
        assertTrue(JdkExchange.answered(new IOException("No authenticator set")));
        assertTrue(JdkExchange.answered(new IOException("WWW-Authenticate header missing for response code 401")));
        assertTrue(JdkExchange.answered(new IOException("Invalid redirection")));
        assertTrue(JdkExchange.answered(new IOException("Too many retries")));
    }

    @Test
    void brokenConnectionsAreNot() {
        assertFalse(JdkExchange.answered(new IOException("HTTP/1.1 header parser received no bytes")));
        assertFalse(JdkExchange.answered(new IOException("Too many retries", new IOException("connection closed"))));
        assertFalse(JdkExchange.answered(new SocketException("too many authentication attempts")));
        assertFalse(JdkExchange.answered(new IOException((String) null)));
    }
}
