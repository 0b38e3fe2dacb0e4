package io.tailguard.it.servers;

import io.tailguard.it.PrometheusScrape;
import io.tailguard.it.TempFolders;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * nginx from the system's packages ({@code apt-get install nginx}; {@code .ci/run} installs it) as
 * a reverse proxy in front of a {@link MockWebServerScripted}, which this scripts and reads: the
 * application talks to nginx, as it does to a service behind one. nginx reads and writes the
 * client's connections its own way (keep-alive, {@code TCP_NODELAY}, its own buffering of request
 * and response bodies, a chunked request body passed on with a length); to the backend it opens a
 * connection per request, its default, so that what the backend sees does not depend on which
 * connections nginx happened to keep. A request the backend drops unanswered reaches the
 * application as nginx's {@code 502}, as it would from a real deployment. One nginx process per
 * server, in the foreground, with its configuration, logs and temporary files in a directory of
 * its own.
 */
final class NginxFronted implements ScriptedServer {

    private static final Path BINARY = Paths.get("/usr/sbin/nginx");
    /** A path nginx answers itself ({@code 204}), to tell it from anything else on its port. */
    private static final String PROBE = "/tailguard-nginx-probe";

    private final MockWebServerScripted backend = new MockWebServerScripted();
    private final Path dir;
    private Process process;
    private int port;

    /** Whether this machine has nginx where Debian's package puts it. */
    static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    NginxFronted() {
        try {
            dir = Files.createTempDirectory("tailguard-nginx");
        } catch (IOException e) {
            backend.close();
            throw new UncheckedIOException("cannot start nginx", e);
        }
        // The port is picked free and then bound by nginx: below the ephemeral range no bind to port
        // 0 can take it in between, but another process asking for that very port could, and nginx
        // then exits. A few tries.
        String failures = "";
        for (int attempt = 1; attempt <= 3; attempt++) {
            int candidate = -1;
            Process started = null;
            try {
                candidate = PrometheusScrape.freePort();
                started = start(candidate);
                if (awaitNginx(started, candidate)) {
                    process = started;
                    port = candidate;
                    return;
                }
                failures += "\nport " + candidate + ":\n" + output();
            } catch (IOException | UncheckedIOException e) {
                failures += "\nport " + candidate + ": " + e;
            }
            if (started != null) {
                started.destroyForcibly();
            }
        }
        backend.close();
        TempFolders.delete(dir);
        throw new IllegalStateException("nginx did not start:" + failures);
    }

    private Process start(int port) throws IOException {
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, String.join("\n",
                "daemon off;",
                "master_process off;",
                "worker_processes 1;",
                "pid " + dir.resolve("nginx.pid") + ";",
                "error_log stderr warn;",
                "events { worker_connections 512; }",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + dir.resolve("body") + ";",
                "  proxy_temp_path " + dir.resolve("proxy") + ";",
                "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
                "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
                "  scgi_temp_path " + dir.resolve("scgi") + ";",
                "  server {",
                "    listen 127.0.0.1:" + port + ";",
                "    location = " + PROBE + " { return 204; }",
                "    location / {",
                "      proxy_pass http://127.0.0.1:" + backend.port() + ";",
                "    }",
                "  }",
                "}",
                ""), StandardCharsets.UTF_8);
        return new ProcessBuilder(BINARY.toString(), "-e", "stderr", "-p", dir.toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("output.log").toFile()).start();
    }

    /**
     * Whether nginx itself answers on {@code port} within 15 s ({@link #PROBE}, which nginx answers
     * without the backend and with its name), rather than exiting or leaving the port to another.
     */
    private static boolean awaitNginx(Process process, int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (process.isAlive() && System.nanoTime() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                probe.setSoTimeout(2_000);
                probe.getOutputStream().write(("GET " + PROBE + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String answer = new String(probe.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                return answer.startsWith("HTTP/1.1 204") && answer.contains("\r\nServer: nginx") && process.isAlive();
            } catch (IOException notYet) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    private String output() {
        try (InputStream in = Files.newInputStream(dir.resolve("output.log"))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    @Override
    public ServerKind kind() {
        return ServerKind.NGINX;
    }

    @Override
    public void plan(String path, Reply... replies) {
        backend.plan(path, replies);
    }

    @Override
    public List<Recorded> arrivals(String path) {
        return backend.arrivals(path);
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public void close() {
        process.destroy();
        PythonHttpServerScripted.awaitExit(process);
        backend.close();
        TempFolders.delete(dir);
    }
}
