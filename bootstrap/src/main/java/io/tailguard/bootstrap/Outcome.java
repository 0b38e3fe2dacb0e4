package io.tailguard.bootstrap;

/** The result an intercepted method returns to its caller instead of running its own body. */
public final class Outcome {

    private final Object value;
    private final Throwable failure;

    private Outcome(Object value, Throwable failure) {
        this.value = value;
        this.failure = failure;
    }

    /** The method returns {@code value} ({@code null} for a {@code void} method). */
    public static Outcome returning(Object value) {
        return new Outcome(value, null);
    }

    /** The method throws {@code failure}, checked or not, exactly as the client would have. */
    public static Outcome throwing(Throwable failure) {
        if (failure == null) {
            throw new NullPointerException("failure");
        }
        return new Outcome(null, failure);
    }

    public Object value() {
        return value;
    }

    public Throwable failure() {
        return failure;
    }

    @Override
    public String toString() {
        return failure == null ? "returning " + value : "throwing " + failure;
    }
}
