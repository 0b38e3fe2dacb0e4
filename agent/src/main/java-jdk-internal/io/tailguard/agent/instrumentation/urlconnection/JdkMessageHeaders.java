package io.tailguard.agent.instrumentation.urlconnection;

import java.lang.reflect.Field;
import sun.net.www.MessageHeader;

/**
 * {@link MessageHeaders} by direct calls of {@code sun.net.www.MessageHeader}'s public methods
 * (the same from JDK 11 to 25), compiled against {@code java.base}'s {@code sun.net.www} (a source
 * folder of its own, compiled without {@code --release}, which forbids that). Its number of entries
 * is a private field, read reflectively.
 *
 * <p>Loaded by {@link MessageHeaders#of} once the agent has opened the package to itself; its
 * static initialiser calls every method once on a header list of its own, so that a JDK whose class
 * lacks one fails here, where the connections then pass through, and not in a request.
 */
final class JdkMessageHeaders extends MessageHeaders {

    private final Field nkeys;

    static {
        JdkMessageHeaders headers;
        try {
            headers = new JdkMessageHeaders(MessageHeader.class.getDeclaredField("nkeys"));
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(e);
        }
        MessageHeader check = new MessageHeader();
        headers.add(check, "a", "1");
        headers.set(check, "a", "2");
        if (headers.count(check) != 1 || !"a".equals(headers.key(check, 0)) || !"2".equals(headers.value(check, 0))
                || !"2".equals(headers.findValue(check, "a"))) {
            throw new IllegalStateException(MessageHeaders.TYPE + " does not keep its entries as expected");
        }
        headers.reset(check);
        MessageHeaders.implementedBy(headers);
    }

    private JdkMessageHeaders(Field nkeys) {
        nkeys.setAccessible(true);
        this.nkeys = nkeys;
    }

    @Override
    Object create() {
        return new MessageHeader();
    }

    @Override
    int count(Object headers) {
        try {
            return nkeys.getInt(headers);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    String key(Object headers, int i) {
        return ((MessageHeader) headers).getKey(i);
    }

    @Override
    String value(Object headers, int i) {
        return ((MessageHeader) headers).getValue(i);
    }

    @Override
    void add(Object headers, String name, String headerValue) {
        ((MessageHeader) headers).add(name, headerValue);
    }

    @Override
    void set(Object headers, String name, String headerValue) {
        ((MessageHeader) headers).set(name, headerValue);
    }

    @Override
    String findValue(Object headers, String name) {
        return ((MessageHeader) headers).findValue(name);
    }

    @Override
    void reset(Object headers) {
        ((MessageHeader) headers).reset();
    }
}
