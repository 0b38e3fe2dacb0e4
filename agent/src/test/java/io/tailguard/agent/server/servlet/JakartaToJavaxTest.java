package io.tailguard.agent.server.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JakartaToJavaxTest {

    @Test
    void leavesAClassWithoutServletNamesAsItWas() throws IOException {
        // java.lang.Long has long constants, which take two constant pool entries each.
        byte[] original = classFile("java/lang/Long.class");

        assertArrayEquals(original, JakartaToJavax.rename(original));
    }

    @Test
    void renamesTypesDescriptorsAndTheCertificateAttributesName() throws IOException {
        String renamed = new String(JakartaToJavax.rename(
                classFile("io/tailguard/agent/server/servlet/adapter/HttpServletExchange.class")), StandardCharsets.ISO_8859_1);

        assertFalse(renamed.contains("jakarta"), "a jakarta name is left");
        assertTrue(renamed.contains("Ljavax/servlet/http/HttpServletRequest;"));
        assertTrue(renamed.contains("javax.servlet.request.X509Certificate"));
    }

    private static byte[] classFile(String resource) throws IOException {
        try (InputStream in = ClassLoader.getSystemResourceAsStream(resource)) {
            return in.readAllBytes();
        }
    }
}
