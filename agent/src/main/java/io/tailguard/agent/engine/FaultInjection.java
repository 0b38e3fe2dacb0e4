package io.tailguard.agent.engine;

/**
 * A test-only switch that makes the engine fail on purpose, to prove that an internal failure
 * never breaks the application: {@code -Dio.tailguard.fault-injection=start} fails before any
 * attempt is sent (the client's method then runs as written), {@code =outcome} fails while an
 * attempt's outcome is handled (the request then ends with that attempt's outcome). It lives
 * outside the {@code tailguard.*} namespace on purpose: it is not configuration. Read once; when
 * absent, the checks are constant-folded away by the JIT.
 */
final class FaultInjection {

    static final String PROPERTY = "io.tailguard.fault-injection";
    private static final String POINT = System.getProperty(PROPERTY, "");
    static final boolean AT_START = POINT.equals("start");
    static final boolean AT_OUTCOME = POINT.equals("outcome");

    private FaultInjection() {
    }

    static void fail(String where) {
        throw new IllegalStateException("fault injected " + where + " (-D" + PROPERTY + ")");
    }
}
