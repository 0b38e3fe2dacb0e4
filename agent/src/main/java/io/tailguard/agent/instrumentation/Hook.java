package io.tailguard.agent.instrumentation;

/** One method to instrument: its class, name and descriptor, and the dispatcher slot it calls. */
public final class Hook {

    private final String type;
    private final String method;
    private final String descriptor;
    private final int slot;

    /**
     * @param type internal name of the class that declares the method, e.g. {@code okhttp3/RealCall}
     * @param descriptor JVM descriptor, e.g. {@code ()Lokhttp3/Response;}
     */
    public Hook(String type, String method, String descriptor, int slot) {
        this.type = type;
        this.method = method;
        this.descriptor = descriptor;
        this.slot = slot;
    }

    public String type() {
        return type;
    }

    public String method() {
        return method;
    }

    public String descriptor() {
        return descriptor;
    }

    public int slot() {
        return slot;
    }

    @Override
    public String toString() {
        return type.replace('/', '.') + "." + method + descriptor;
    }
}
