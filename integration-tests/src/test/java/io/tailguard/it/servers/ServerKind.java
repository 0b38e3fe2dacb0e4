package io.tailguard.it.servers;

/**
 * The servers the client suites run against: MockWebServer, which the other tests use, and two
 * we did not write that behave as many real services do: they leave Nagle's algorithm on (no
 * {@code TCP_NODELAY}) and write the status line and headers, then the body, in two writes.
 */
public enum ServerKind {

    MOCKWEBSERVER {
        @Override
        public ScriptedServer start() {
            return new MockWebServerScripted();
        }
    },
    /** {@code com.sun.net.httpserver} in the test JVM ({@code sun.net.httpserver.nodelay} left false). */
    JDK_HTTPSERVER {
        @Override
        public ScriptedServer start() {
            return new JdkHttpServerScripted();
        }
    },
    /** Python's {@code http.server} ({@code ThreadingHTTPServer}) in a process of its own. */
    PYTHON_HTTP_SERVER {
        @Override
        public ScriptedServer start() {
            return new PythonHttpServerScripted();
        }
    };

    public abstract ScriptedServer start();
}
