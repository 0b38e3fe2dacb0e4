package io.tailguard.agent.instrumentation.urlconnection;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;

/**
 * The JDK's {@code sun.net.www.MessageHeader} (a connection's request and response headers),
 * reached through method handles: a request's headers are copied for every attempt, and a
 * reflective call would allocate an argument array (and the constructor lookup a constructor)
 * each time. The handles are constants, looked up once for the JDK's class, so that the JIT can
 * compile each call as a direct one: held in an object's fields, every call went through the
 * handle's own code, and the constructor's through a runtime call (in a profile of the paired run,
 * the time under these calls fell by a third once they were constants).
 */
final class MessageHeaders {

    private static final String TYPE = "sun.net.www.MessageHeader";
    private static final MethodType NAME_VALUE = MethodType.methodType(void.class, Object.class, String.class, String.class);
    private static final MethodType AT = MethodType.methodType(String.class, Object.class, int.class);

    private static final MethodHandle CREATE;
    private static final MethodHandle SET;
    private static final MethodHandle ADD;
    private static final MethodHandle FIND_VALUE;
    private static final MethodHandle COUNT;
    private static final MethodHandle KEY;
    private static final MethodHandle VALUE;
    private static final MethodHandle RESET;
    /** Why the handles could not be made on this JDK, or {@code null}. */
    private static final Exception UNAVAILABLE;
    private static final MessageHeaders INSTANCE = new MessageHeaders();

    static {
        MethodHandle[] found = new MethodHandle[8];
        Exception failure = null;
        try {
            Class<?> type = Class.forName(TYPE, false, null);
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Constructor<?> create = type.getDeclaredConstructor();
            create.setAccessible(true);
            found[0] = lookup.unreflectConstructor(create).asType(MethodType.methodType(Object.class));
            found[1] = lookup.unreflect(ConnectionFields.method(type, "set", String.class, String.class)).asType(NAME_VALUE);
            found[2] = lookup.unreflect(ConnectionFields.method(type, "add", String.class, String.class)).asType(NAME_VALUE);
            found[3] = lookup.unreflect(ConnectionFields.method(type, "findValue", String.class))
                    .asType(MethodType.methodType(String.class, Object.class, String.class));
            found[4] = lookup.unreflectGetter(ConnectionFields.field(type, "nkeys"))
                    .asType(MethodType.methodType(int.class, Object.class));
            found[5] = lookup.unreflect(ConnectionFields.method(type, "getKey", int.class)).asType(AT);
            found[6] = lookup.unreflect(ConnectionFields.method(type, "getValue", int.class)).asType(AT);
            found[7] = lookup.unreflect(ConnectionFields.method(type, "reset"))
                    .asType(MethodType.methodType(void.class, Object.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // None is used then: of() refuses.
            failure = e;
        }
        CREATE = found[0];
        SET = found[1];
        ADD = found[2];
        FIND_VALUE = found[3];
        COUNT = found[4];
        KEY = found[5];
        VALUE = found[6];
        RESET = found[7];
        UNAVAILABLE = failure;
    }

    private MessageHeaders() {
    }

    /**
     * The headers of {@code type}, a connection's header field's type.
     *
     * @throws ReflectiveOperationException where that is not the JDK's class the handles were made
     *     for, or they could not be made
     */
    static MessageHeaders of(Class<?> type) throws ReflectiveOperationException {
        if (UNAVAILABLE != null) {
            throw new ReflectiveOperationException(TYPE + " cannot be reached: " + UNAVAILABLE, UNAVAILABLE);
        }
        if (!type.getName().equals(TYPE) || type.getClassLoader() != null) {
            throw new ReflectiveOperationException("the connection's headers are a " + type.getName() + ", not a " + TYPE);
        }
        return INSTANCE;
    }

    /** A copy of {@code headers}, in the same order. */
    Object copy(Object headers) {
        try {
            Object copy = (Object) CREATE.invokeExact();
            addAll(copy, headers);
            return copy;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    /** Adds every header of {@code from} to {@code to}. */
    void addAll(Object to, Object from) {
        try {
            int n = (int) COUNT.invokeExact(from);
            for (int i = 0; i < n; i++) {
                ADD.invokeExact(to, (String) KEY.invokeExact(from, i), (String) VALUE.invokeExact(from, i));
            }
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    void set(Object headers, String name, String headerValue) {
        try {
            SET.invokeExact(headers, name, headerValue);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    String findValue(Object headers, String name) {
        try {
            return (String) FIND_VALUE.invokeExact(headers, name);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    void reset(Object headers) {
        try {
            RESET.invokeExact(headers);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    /** MessageHeader's methods throw no checked exception: what comes out is unchecked. */
    private static RuntimeException rethrown(Throwable t) {
        if (t instanceof Error) {
            throw (Error) t;
        }
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        return new IllegalStateException(t);
    }
}
