package io.tailguard.bench.clients;

import java.io.IOException;
import java.time.Duration;

/**
 * One HTTP client library as an application uses it: a client built once with its defaults, a GET
 * whose response body is read completely. Adding a client to the benchmarks is one class that
 * implements this, with a public no-argument constructor, and one line in {@link BenchClients}.
 */
public interface BenchClient extends AutoCloseable {

    /** No headers, without an array per call. */
    String[] NO_HEADERS = {};

    /**
     * Sends {@code GET url} through the library's blocking API and reads the whole body.
     *
     * @param timeout the request's own timeout as the library expresses it, or {@code null} for the
     *     library's default
     * @param headers request headers to set: name, value, name, value, ...
     * @return the response status
     * @throws Exception whatever the library throws for a failed or timed-out call
     */
    int get(String url, Duration timeout, String... headers) throws Exception;

    @Override
    void close() throws IOException;
}
