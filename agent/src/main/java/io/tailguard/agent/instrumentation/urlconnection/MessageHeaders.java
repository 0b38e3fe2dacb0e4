package io.tailguard.agent.instrumentation.urlconnection;

/**
 * The JDK's {@code sun.net.www.MessageHeader} (a connection's request and response headers): a
 * request's headers are copied for every attempt. Its one implementation,
 * {@code JdkMessageHeaders}, calls the class's public methods directly, compiled against it (a
 * source folder of its own, as {@code java.base} exports the package to no one at compile time);
 * the agent opens the package to itself before it is loaded ({@link
 * UrlConnectionInstrumentation#OPENED_PACKAGES}). The method handles this used before spun some
 * twenty lambda forms as a small application started (about 8 ms of processor time, profiled over
 * 40 launches of the benchmarks' {@code HttpURLConnection} application), where plain calls link
 * at no cost, and are as quick once compiled.
 */
abstract class MessageHeaders {

    static final String TYPE = "sun.net.www.MessageHeader";
    private static final String IMPLEMENTATION = "io.tailguard.agent.instrumentation.urlconnection.JdkMessageHeaders";

    /** Set by the implementation's static initialiser, once its calls were checked on this JDK's class. */
    private static volatile MessageHeaders implementation;

    /**
     * The headers of {@code type}, a connection's header field's type.
     *
     * @throws ReflectiveOperationException where that is not the JDK's class the implementation is
     *     compiled against, or this JDK's class lacks what it calls
     */
    static MessageHeaders of(Class<?> type) throws ReflectiveOperationException {
        if (!type.getName().equals(TYPE) || type.getClassLoader() != null) {
            throw new ReflectiveOperationException("the connection's headers are a " + type.getName() + ", not a " + TYPE);
        }
        if (implementation == null) {
            try {
                Class.forName(IMPLEMENTATION, true, MessageHeaders.class.getClassLoader());
            } catch (LinkageError unavailable) {
                throw new ReflectiveOperationException(TYPE + " cannot be reached: " + unavailable, unavailable);
            }
        }
        MessageHeaders headers = implementation;
        if (headers == null) {
            throw new ReflectiveOperationException(TYPE + " cannot be reached");
        }
        return headers;
    }

    /** Called by the implementation's static initialiser. */
    static void implementedBy(MessageHeaders headers) {
        implementation = headers;
    }

    /** A new, empty header list. */
    abstract Object create();

    /** How many entries {@code headers} holds. */
    abstract int count(Object headers);

    abstract String key(Object headers, int i);

    abstract String value(Object headers, int i);

    abstract void add(Object headers, String name, String headerValue);

    abstract void set(Object headers, String name, String headerValue);

    abstract String findValue(Object headers, String name);

    abstract void reset(Object headers);

    /** A copy of {@code headers}, in the same order. */
    Object copy(Object headers) {
        Object copy = create();
        addAll(copy, headers);
        return copy;
    }

    /** Adds every header of {@code from} to {@code to}. */
    void addAll(Object to, Object from) {
        int n = count(from);
        for (int i = 0; i < n; i++) {
            add(to, key(from, i), value(from, i));
        }
    }
}
