package io.tailguard.it.app;

import java.util.Map;

/**
 * Makes one call with one real client the way an application would, and describes what the
 * application got. One driver per client API (JDK send, JDK sendAsync, OkHttp execute, ...).
 */
public interface ClientDriver {

    /**
     * @param call what to send: {@code method}, {@code url}, {@code body}, {@code bodyKind},
     *     {@code h.<Header>} entries, {@code timeoutMs}, and driver-specific options
     * @return what the application saw: {@code status}, {@code body}, or {@code error},
     *     {@code errorMessage} and {@code suppressed}
     */
    Map<String, String> call(Map<String, String> call) throws Exception;

    /** Client-specific state for a test to check, e.g. a connection pool's {@code leased} count. */
    default Map<String, String> stats(Map<String, String> command) {
        return Map.of();
    }
}
