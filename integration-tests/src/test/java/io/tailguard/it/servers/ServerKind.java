package io.tailguard.it.servers;

/**
 * The servers the client suites run against: MockWebServer, which the other tests use; two we
 * did not write that behave as many real services do: they leave Nagle's algorithm on (no
 * {@code TCP_NODELAY}) and write the status line and headers, then the body, in two writes; and
 * nginx in front of MockWebServer, as many services are deployed.
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
    },
    /** nginx from the system's packages, as a reverse proxy in front of MockWebServer ({@link NginxFronted}). */
    NGINX {
        @Override
        public ScriptedServer start() {
            return new NginxFronted();
        }

        @Override
        public boolean installed() {
            return NginxFronted.installed();
        }
    };

    public abstract ScriptedServer start();

    /**
     * Whether this machine has the server: nginx may be missing where {@code .ci/run} did not
     * install it, and the tests against it are then skipped, saying so.
     */
    public boolean installed() {
        return true;
    }
}
