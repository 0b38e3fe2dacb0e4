package io.tailguard.agent.instrumentation.urlconnection;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * The JDK's {@code sun.net.www.MessageHeader} (a connection's request and response headers),
 * reached through method handles: a request's headers are copied for every attempt, and a
 * reflective call would allocate an argument array (and the constructor lookup a constructor)
 * each time.
 */
final class MessageHeaders {

    private static final MethodType NAME_VALUE = MethodType.methodType(void.class, Object.class, String.class, String.class);
    private static final MethodType AT = MethodType.methodType(String.class, Object.class, int.class);

    private final MethodHandle create;
    private final MethodHandle set;
    private final MethodHandle add;
    private final MethodHandle findValue;
    private final MethodHandle count;
    private final MethodHandle key;
    private final MethodHandle value;
    private final MethodHandle reset;

    /** The members, each already made accessible; the handles inherit that access. */
    MessageHeaders(Constructor<?> create, Method set, Method add, Method findValue, Field count, Method key,
            Method value, Method reset) throws IllegalAccessException {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        this.create = lookup.unreflectConstructor(create).asType(MethodType.methodType(Object.class));
        this.set = lookup.unreflect(set).asType(NAME_VALUE);
        this.add = lookup.unreflect(add).asType(NAME_VALUE);
        this.findValue = lookup.unreflect(findValue).asType(MethodType.methodType(String.class, Object.class, String.class));
        this.count = lookup.unreflectGetter(count).asType(MethodType.methodType(int.class, Object.class));
        this.key = lookup.unreflect(key).asType(AT);
        this.value = lookup.unreflect(value).asType(AT);
        this.reset = lookup.unreflect(reset).asType(MethodType.methodType(void.class, Object.class));
    }

    /** A copy of {@code headers}, in the same order. */
    Object copy(Object headers) {
        try {
            Object copy = (Object) create.invokeExact();
            addAll(copy, headers);
            return copy;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    /** Adds every header of {@code from} to {@code to}. */
    void addAll(Object to, Object from) {
        try {
            int n = (int) count.invokeExact(from);
            for (int i = 0; i < n; i++) {
                add.invokeExact(to, (String) key.invokeExact(from, i), (String) value.invokeExact(from, i));
            }
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    void set(Object headers, String name, String headerValue) {
        try {
            set.invokeExact(headers, name, headerValue);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    String findValue(Object headers, String name) {
        try {
            return (String) findValue.invokeExact(headers, name);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    void reset(Object headers) {
        try {
            reset.invokeExact(headers);
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
