package io.tailguard.it.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * nginx from the system's packages ({@code apt-get install nginx-light}; {@code .ci/run} installs
 * it) as a reverse proxy in front of a {@link MockWebServerScripted}, which this scripts and reads:
 * the application talks to nginx, as it does to a service behind one. nginx reads and writes the
 * client's connections its own way (keep-alive, {@code TCP_NODELAY}, its own buffering of request
 * and response bodies, a chunked request body passed on with a length); to the backend it opens a
 * connection per request, its default, so that what the backend sees does not depend on which
 * connections nginx happened to keep. A request the backend drops unanswered reaches the
 * application as nginx's {@code 502}, as it would from a real deployment. One nginx process per server, in the
 * foreground, with its configuration, logs and temporary files in a directory of its own.
 */
final class NginxFronted implements ScriptedServer {

    private static final Path BINARY = Paths.get("/usr/sbin/nginx");

    private final MockWebServerScripted backend = new MockWebServerScripted();
    private final Path dir;
    private final Process process;
    private final int port;

    /** Whether this machine has nginx where Debian's package puts it. */
    static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    NginxFronted() {
        try {
            dir = Files.createTempDirectory("tailguard-nginx");
            port = freePort();
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
                    "    location / {",
                    "      proxy_pass http://127.0.0.1:" + backend.port() + ";",
                    "    }",
                    "  }",
                    "}",
                    ""), StandardCharsets.UTF_8);
            process = new ProcessBuilder(BINARY.toString(), "-e", "stderr", "-p", dir.toString(), "-c", conf.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("output.log").toFile()).start();
        } catch (IOException e) {
            backend.close();
            throw new UncheckedIOException("cannot start nginx", e);
        }
        awaitListening();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Until nginx accepts connections, or fails with what it wrote. */
    private void awaitListening() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    String output = output();
                    close();
                    throw new IllegalStateException("nginx did not start on port " + port + ":\n" + output);
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException(e);
            }
        }
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
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind
        }
    }
}
