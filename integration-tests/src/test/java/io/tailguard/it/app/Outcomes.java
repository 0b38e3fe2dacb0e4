package io.tailguard.it.app;

import java.util.Map;

/** How drivers describe what the application got, the same way for every client. */
final class Outcomes {

    private Outcomes() {
    }

    static void failure(Map<String, String> result, Throwable failure) {
        result.put("error", failure.getClass().getName());
        result.put("errorMessage", String.valueOf(failure.getMessage()));
        result.put("suppressed", Integer.toString(failure.getSuppressed().length
                + (failure.getCause() != null ? failure.getCause().getSuppressed().length : 0)));
    }

    static void elapsed(Map<String, String> result, long startNanos) {
        result.put("elapsedMs", Long.toString((System.nanoTime() - startNanos) / 1_000_000));
    }
}
