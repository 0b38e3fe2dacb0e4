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

    /** Cancels a call made earlier with option {@code key}, from the thread that runs this command. */
    default Map<String, String> cancel(Map<String, String> command) throws Exception {
        throw new UnsupportedOperationException(getClass().getName() + " cannot cancel");
    }

    /** The client's own view of its resources (pools, dispatcher), by driver-specific names. */
    default Map<String, String> inspect(Map<String, String> command) throws Exception {
        return Map.of();
    }
}
