package io.tailguard.agent.instrumentation.urlconnection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.instrumentation.urlconnection.ConnectionFields.DeclaredFields;
import java.io.InputStream;
import java.lang.invoke.VarHandle;
import org.junit.jupiter.api.Test;

/**
 * How the connection's fields are found: by the type the JDK declares each with and, where a JDK
 * declares one otherwise or lacks the class of its type, by the type reflection reports. The JDKs
 * the build runs on take the first way for every field of the connection (their tests go through
 * it); the second is shown here on a class of the test's own, whose private fields stand in for
 * the connection's.
 */
class DeclaredFieldsTest {

    /** The stand-in: private fields, as the connection's are. */
    @SuppressWarnings("unused")
    private static final class Connection {
        private String method = "GET";
        private boolean connected;
        private InputStream inputStream;
    }

    @Test
    void aFieldOfTheExpectedTypeIsFoundByThatType() throws Exception {
        DeclaredFields fields = new DeclaredFields(Connection.class);

        VarHandle method = fields.handle("method", String.class);

        assertEquals(String.class, method.varType());
        assertEquals("GET", method.get(new Connection()));
        assertFalse(fields.declaredOtherwise);
    }

    @Test
    void aFieldDeclaredWithAnotherTypeIsFoundByItsDeclaredType() throws Exception {
        DeclaredFields fields = new DeclaredFields(Connection.class);
        Connection connection = new Connection();

        VarHandle method = fields.handle("method", CharSequence.class);
        VarHandle connected = fields.handle("connected", int.class);

        assertEquals(String.class, method.varType());
        assertEquals(boolean.class, connected.varType());
        method.set(connection, "PUT");
        connected.set(connection, true);
        assertEquals("PUT", connection.method);
        assertTrue(connection.connected);
        assertTrue(fields.declaredOtherwise, "the types the members need are then read from the handles");
    }

    @Test
    void aFieldWhoseTypeThisJdkLacksIsFoundByItsDeclaredType() throws Exception {
        DeclaredFields fields = new DeclaredFields(Connection.class);

        VarHandle stream = fields.handle("inputStream", DeclaredFields.jdk("sun.net.www.NoSuchStream"));

        assertEquals(InputStream.class, stream.varType());
        assertTrue(fields.declaredOtherwise);
    }

    @Test
    void aFieldThisJdkLacksFailsTheLookup() throws Exception {
        DeclaredFields fields = new DeclaredFields(Connection.class);

        assertThrows(NoSuchFieldException.class, () -> fields.handle("rememberedException", Exception.class));
    }

    @Test
    void aJdkClassIsNamedOnlyWhereThisJdkHasIt() {
        assertNull(DeclaredFields.jdk("sun.net.www.NoSuchStream"));
        Class<?> headers = DeclaredFields.jdk("sun.net.www.MessageHeader");
        assertNotNull(headers);
        assertNull(headers.getClassLoader(), "the JDK's own, as the connection's code loads it");
    }
}
