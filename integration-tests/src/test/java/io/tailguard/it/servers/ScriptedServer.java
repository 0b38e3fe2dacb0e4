package io.tailguard.it.servers;

import java.util.List;

/**
 * An HTTP server that a test scripts per path and that records every request it reads, the same
 * way whichever server it is: MockWebServer, or one we did not write (the JDK's
 * {@code com.sun.net.httpserver}, Python's {@code http.server}). Paths keep tests and concurrent
 * calls apart: each call uses a path of its own, so a late hedge of one never takes another's
 * reply. It listens on 127.0.0.1; the application reaches it as {@code 127.0.0.1} (which test
 * policies match) or as {@code localhost} (which they don't).
 */
public interface ScriptedServer extends AutoCloseable {

    /** Which kind of server this is, for test names and messages. */
    ServerKind kind();

    /** Replies to the requests for {@code path}, in arrival order; after them every request gets 200 "default". */
    void plan(String path, Reply... replies);

    /** The requests for {@code path} read so far, in arrival order (a request the server dropped included). */
    List<Recorded> arrivals(String path);

    /** Waits up to ten seconds until {@code count} requests for {@code path} arrived, and returns them. */
    default List<Recorded> await(String path, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<Recorded> seen = arrivals(path);
            if (seen.size() >= count) {
                return seen;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(kind() + ": " + seen.size() + " of " + count + " requests for " + path
                        + " arrived within 10 s");
            }
            Thread.sleep(10);
        }
    }

    int port();

    /** A URL on the host name test policies match, 127.0.0.1. */
    default String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** The same server under a host name no test policy matches. */
    default String unmatchedUrl(String path) {
        return "http://localhost:" + port() + path;
    }

    @Override
    void close();
}
