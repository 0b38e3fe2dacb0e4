package io.tailguard.agent.instrumentation.urlconnection;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import sun.net.www.MessageHeader;

/**
 * {@link MessageHeaders} by direct calls of {@code sun.net.www.MessageHeader}'s public methods
 * (the same from JDK 11 to 25), compiled against {@code java.base}'s {@code sun.net.www} (a source
 * folder of its own, compiled without {@code --release}, which forbids that). Its number of entries
 * is a private field, read through a {@code VarHandle} (without the accessor a {@code Field} builds
 * on its first read since JDK 18).
 *
 * <p>Loaded by {@link MessageHeaders#of} once the agent has opened the package to itself; its
 * static initialiser calls every method once on a header list of its own, so that a JDK whose class
 * lacks one fails here, where the connections then pass through, and not in a request.
 */
final class JdkMessageHeaders extends MessageHeaders {

    private static final VarHandle NKEYS;

    static {
        try {
            NKEYS = MethodHandles.privateLookupIn(MessageHeader.class, MethodHandles.lookup())
                    .findVarHandle(MessageHeader.class, "nkeys", int.class);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        JdkMessageHeaders headers = new JdkMessageHeaders();
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

    private JdkMessageHeaders() {
    }

    @Override
    Object create() {
        return new MessageHeader();
    }

    @Override
    int count(Object headers) {
        return (int) NKEYS.get(headers);
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
