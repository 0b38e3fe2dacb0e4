package io.tailguard.bench.neverworse;

import com.sun.net.httpserver.HttpServer;
import io.tailguard.bench.RunOptions;
import io.tailguard.bench.report.Machine;
import io.tailguard.bench.report.Markdown;
import io.tailguard.bench.server.MiniHttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code never-worse}: does the agent leave alone what it does not act on? Every client API the
 * benchmarks carry, against four servers (ours with {@code TCP_NODELAY} and one write per
 * response; the JDK's {@code com.sun.net.httpserver} and Python's {@code http.server}, which write
 * headers and body separately without {@code TCP_NODELAY}; nginx from the system's packages as a
 * reverse proxy in front of ours, where it is installed), open loop at 100 requests/s with a
 * server latency of 2–8 ms, without the agent and with it in four configurations, each in its own
 * JVM, one server at a time so that the runs compared are minutes apart at most. Target: p50 and
 * p90 with the agent within 1 ms of without.
 */
public final class NeverWorse {

    static final List<String> APIS = List.of("jdk-send", "jdk-async", "okhttp-execute", "okhttp-enqueue", "apache4",
            "apache5", "apache5-async", "urlconnection");
    static final double RATE = 100;
    static final long MIN_LATENCY_NANOS = 2_000_000L;
    static final long MAX_LATENCY_NANOS = 8_000_000L;
    static final double TARGET_MS = 1.0;

    /** An agent configuration: a name, what it means, and its properties ({@code null}: no agent). */
    static final class Config {
        final String name;
        final String meaning;
        final String properties;

        Config(String name, String meaning, String properties) {
            this.name = name;
            this.meaning = meaning;
            this.properties = properties;
        }
    }

    /** The control run: a second run without the agent, after the others. */
    static final String AGAIN = "no agent again";

    static final List<Config> CONFIGS = List.of(
            new Config("no agent", "no `-javaagent`", null),
            new Config("unmatched", "a policy for another host: every call passes through",
                    "tailguard.policy.other.hosts=unmatched.invalid"),
            new Config("retries", "a policy for 127.0.0.1 with its defaults (retries on); nothing fails",
                    "tailguard.policy.api.hosts=127.0.0.1"),
            new Config("tagging", "the same plus `tagging=true`",
                    "tailguard.policy.api.hosts=127.0.0.1\ntailguard.policy.api.tagging=true"),
            new Config("hedging", "the same plus `hedge.delay=p99`: armed on every call, fires on about 1 in 100",
                    "tailguard.policy.api.hosts=127.0.0.1\ntailguard.policy.api.tagging=true\n"
                            + "tailguard.policy.api.hedge.delay=p99"),
            new Config(AGAIN, "no `-javaagent`, run last: how much two runs without the agent differ", null));

    private final RunOptions options;
    private final double warmupSeconds;
    private final double measureSeconds;

    public NeverWorse(RunOptions options) {
        this.options = options;
        this.warmupSeconds = options.quick ? 0.4 : 1.0;
        this.measureSeconds = options.quick ? 1.0 : 5.0;
    }

    /** One server kind: a name for the report and how to start it. */
    interface Server extends AutoCloseable {
        String url();

        @Override
        void close();
    }

    private static long latencyNanos() {
        return ThreadLocalRandom.current().nextLong(MIN_LATENCY_NANOS, MAX_LATENCY_NANOS + 1);
    }

    private static Server mini() throws IOException {
        MiniHttpServer.Response ok = MiniHttpServer.Response.of(200, "ok");
        MiniHttpServer server = new MiniHttpServer(request -> {
            LockSupport.parkNanos(latencyNanos());
            return ok;
        });
        return new Server() {
            @Override
            public String url() {
                return server.url("/never-worse");
            }

            @Override
            public void close() {
                server.close();
            }
        };
    }

    /** The JDK's server as it comes: {@code sun.net.httpserver.nodelay} unset, so Nagle stays on. */
    private static Server jdkHttpServer() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ExecutorService handlers = Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "jdk-httpserver");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(handlers);
        byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            LockSupport.parkNanos(latencyNanos());
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return new Server() {
            @Override
            public String url() {
                return "http://127.0.0.1:" + server.getAddress().getPort() + "/never-worse";
            }

            @Override
            public void close() {
                server.stop(0);
                handlers.shutdownNow();
            }
        };
    }

    private static final String PYTHON_SERVER = String.join("\n",
            "import random, sys, time",
            "from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler",
            "class Handler(BaseHTTPRequestHandler):",
            "    protocol_version = 'HTTP/1.1'",
            "    def do_GET(self):",
            "        time.sleep(random.uniform(%s, %s))",
            "        body = b'ok'",
            "        self.send_response(200)",
            "        self.send_header('Content-Length', str(len(body)))",
            "        self.end_headers()",
            "        self.wfile.write(body)",
            "    def log_message(self, *args):",
            "        pass",
            "class Server(ThreadingHTTPServer):",
            "    request_queue_size = 128",
            "    daemon_threads = True",
            "server = Server(('127.0.0.1', 0), Handler)",
            "print(server.server_address[1], flush=True)",
            "server.serve_forever()",
            "");

    private static final Path NGINX = Paths.get("/usr/sbin/nginx");

    /**
     * nginx (Debian's package) as services are often deployed: a reverse proxy in front of ours, one
     * connection to it per request (nginx's default), in the foreground with its files in the work
     * directory.
     */
    private Server nginx() throws IOException {
        Server backend = mini();
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path dir = options.work.resolve("never-worse-nginx");
        Files.createDirectories(dir);
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, String.join("\n",
                "daemon off; master_process off; worker_processes 1; pid " + dir.resolve("nginx.pid") + ";",
                "error_log stderr warn;",
                "events { worker_connections 1024; }",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + dir.resolve("body") + "; proxy_temp_path " + dir.resolve("proxy") + ";",
                "  fastcgi_temp_path " + dir.resolve("fastcgi") + "; uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
                "  scgi_temp_path " + dir.resolve("scgi") + ";",
                "  server { listen 127.0.0.1:" + port + "; location / { proxy_pass "
                        + backend.url().replace("/never-worse", "") + "; } }",
                "}", ""));
        Process process = new ProcessBuilder(NGINX.toString(), "-e", "stderr", "-p", dir.toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        Server server = new Server() {
            @Override
            public String url() {
                return "http://127.0.0.1:" + port + "/never-worse";
            }

            @Override
            public void close() {
                stop(process);
                backend.close();
            }
        };
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return server;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    server.close();
                    throw new IOException("nginx did not start on port " + port, notYet);
                }
                LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    /** Ends a server's process, forcibly after five seconds. */
    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** Python's standard server as Flask's development server and most tutorials use it. */
    private Server pythonHttpServer() throws IOException {
        Path script = options.work.resolve("never-worse-server.py");
        Files.writeString(script, String.format(Locale.ROOT, PYTHON_SERVER, MIN_LATENCY_NANOS / 1e9,
                MAX_LATENCY_NANOS / 1e9));
        Process process = new ProcessBuilder("python3", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String port = out.readLine();
        if (port == null) {
            process.destroyForcibly();
            throw new IOException("python3 http.server did not start");
        }
        return new Server() {
            @Override
            public String url() {
                return "http://127.0.0.1:" + port.trim() + "/never-worse";
            }

            @Override
            public void close() {
                stop(process);
            }
        };
    }

    /** p50, p90, p99 in ms, count and errors of one API in one configuration against one server. */
    static final class Cell {
        final int count;
        final int errors;
        final double p50;
        final double p90;
        final double p99;
        final String failure;

        Cell(int count, int errors, double p50, double p90, double p99, String failure) {
            this.count = count;
            this.errors = errors;
            this.p50 = p50;
            this.p90 = p90;
            this.p99 = p99;
            this.failure = failure;
        }
    }

    public void run() throws Exception {
        Files.createDirectories(options.work);
        List<String> apis = options.clients.isEmpty() ? APIS : options.clients;
        double loadBefore = Machine.loadAverage();
        String machine = Machine.describe(options.java);
        Map<String, Map<String, Map<String, Cell>>> results = new LinkedHashMap<>();
        String[] servers = {"ours (TCP_NODELAY, one write)", "com.sun.net.httpserver (two writes, Nagle on)",
            "Python http.server (two writes, Nagle on)", "nginx in front of ours (reverse proxy)"};
        String[] keys = {"ours", "jdk", "python", "nginx"};
        for (int s = 0; s < servers.length; s++) {
            if (!options.servers.isEmpty() && !options.servers.contains(keys[s])) {
                continue;
            }
            if (keys[s].equals("nginx") && !Files.isExecutable(NGINX)) {
                System.out.println("never-worse: " + NGINX + " is not installed (Debian's nginx package): skipped");
                continue;
            }
            Map<String, Map<String, Cell>> byConfig = new LinkedHashMap<>();
            try (Server server = s == 0 ? mini() : s == 1 ? jdkHttpServer() : s == 2 ? pythonHttpServer() : nginx()) {
                for (Config config : CONFIGS) {
                    System.out.printf("never-worse: %s, %s%n", servers[s], config.name);
                    byConfig.put(config.name, runApp(config, server.url(), apis));
                }
            }
            results.put(servers[s], byConfig);
        }
        double loadAfter = Machine.loadAverage();
        Markdown md = report(results, apis, machine, loadBefore, loadAfter);
        Files.writeString(options.out.resolve("never-worse.md"), md.toString());
        System.out.println(md);
    }

    private Map<String, Cell> runApp(Config config, String url, List<String> apis) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(options.java);
        command.add("-Xmx256m");
        if (config.properties != null) {
            Path file = options.work.resolve("never-worse-" + config.name.replace(' ', '-') + ".properties");
            Files.writeString(file, config.properties + "\ntailguard.metrics.log.interval=0\n");
            command.add("-javaagent:" + options.agentJar.toAbsolutePath() + "=" + file.toAbsolutePath());
        }
        command.add("-cp");
        command.add(RunOptions.ownJar().toString());
        command.add(NeverWorseApp.class.getName());
        command.add(url);
        command.add(Double.toString(RATE));
        command.add(Double.toString(warmupSeconds));
        command.add(Double.toString(measureSeconds));
        command.addAll(apis);
        Process app = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<String, Cell> cells = new LinkedHashMap<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                String[] f = line.split("\t");
                if (f[0].equals("RESULT")) {
                    cells.put(f[1], new Cell(Integer.parseInt(f[2]), Integer.parseInt(f[3]), Double.parseDouble(f[4]),
                            Double.parseDouble(f[5]), Double.parseDouble(f[6]), null));
                } else if (f[0].equals("FAILED")) {
                    cells.put(f[1], new Cell(0, 0, Double.NaN, Double.NaN, Double.NaN, f.length > 2 ? f[2] : "?"));
                }
            }
        }
        long limit = (long) ((warmupSeconds + measureSeconds + 70) * apis.size());
        if (!app.waitFor(limit, TimeUnit.SECONDS)) {
            app.destroyForcibly();
            throw new IllegalStateException("the application did not finish in " + limit + " s");
        }
        return cells;
    }

    private Markdown report(Map<String, Map<String, Map<String, Cell>>> results, List<String> apis, String machine,
            double loadBefore, double loadAfter) {
        Markdown md = new Markdown();
        String mode = options.quick ? "quick" : "full";
        md.heading(1, "Never worse: the agent against servers we did not write (" + mode + " run)");
        md.paragraph("Machine: " + machine + ". Load average (1 min) before " + Markdown.num(loadBefore, 2)
                + ", after " + Markdown.num(loadAfter, 2) + ". Agent: " + options.agentDescription()
                + ". Reproduce: `benchmarks/run never-worse" + (options.quick ? " --quick" : "") + "`.");
        md.paragraph("Each application JVM sends GETs open loop (Poisson arrivals, " + (int) RATE
                + " requests/s, the same arrival pattern in every run) through one client API at a time, on a"
                + " fresh client: " + Markdown.num(warmupSeconds, 1) + " s of warm-up, then "
                + Markdown.num(measureSeconds, 1) + " s measured (about " + (int) (RATE * measureSeconds)
                + " calls). A blocking call runs on its own pooled thread, an asynchronous one is sent from the"
                + " pacing thread. Latency runs from the call's scheduled start to the whole body. Every server"
                + " answers 200 with a 2-byte body after 2–8 ms (uniform). OkHttp's dispatcher limit of 5 calls"
                + " per host is raised to 256 and the Apache pools to 1,000 connections, so that the clients' own"
                + " queues do not hide what the connections do.");
        md.heading(2, "Configurations");
        Markdown.Table configs = md.table("-configuration", "-meaning");
        for (Config c : CONFIGS) {
            configs.row(c.name, c.meaning);
        }
        configs.end();
        md.heading(2, "Results");
        md.paragraph("p50 / p90 in ms without the agent, then the agent's difference from it (p50 / p90, ms) in each"
                + " configuration. Target: no configuration more than " + Markdown.num(TARGET_MS, 0)
                + " ms slower at p50 or p90. Errors (exceptions or a status other than 200) are noted where any.");
        Markdown.Table table = md.table("-server", "-API", "no agent p50 / p90", "unmatched Δ", "retries Δ",
                "tagging Δ", "hedging Δ", "no agent again Δ", "-verdict");
        for (Map.Entry<String, Map<String, Map<String, Cell>>> server : results.entrySet()) {
            for (String api : apis) {
                Cell base = server.getValue().get("no agent").get(api);
                List<Object> row = new ArrayList<>();
                row.add(server.getKey());
                row.add(api);
                row.add(base == null || base.failure != null ? "failed" : pair(base.p50, base.p90) + errors(base));
                Cell again = server.getValue().get(AGAIN).get(api);
                boolean control = base != null && base.failure == null && again != null && again.failure == null;
                double noise50 = control ? Math.max(TARGET_MS, Math.abs(again.p50 - base.p50)) : TARGET_MS;
                double noise90 = control ? Math.max(TARGET_MS, Math.abs(again.p90 - base.p90)) : TARGET_MS;
                List<String> over = new ArrayList<>();
                List<String> noisy = new ArrayList<>();
                for (Config c : CONFIGS.subList(1, CONFIGS.size())) {
                    Cell cell = server.getValue().get(c.name).get(api);
                    if (base == null || base.failure != null || cell == null || cell.failure != null) {
                        row.add(cell != null && cell.failure != null ? "failed: " + cell.failure : "–");
                        over.add(c.name);
                        continue;
                    }
                    double d50 = cell.p50 - base.p50;
                    double d90 = cell.p90 - base.p90;
                    row.add(signed(d50) + " / " + signed(d90) + errors(cell));
                    if (c.name.equals(AGAIN)) {
                        continue;
                    }
                    if (cell.errors > base.errors || d50 > noise50 || d90 > noise90) {
                        over.add(c.name);
                    } else if (d50 > TARGET_MS || d90 > TARGET_MS) {
                        noisy.add(c.name);
                    }
                }
                row.add(!over.isEmpty() ? "**not met** (" + String.join(", ", over) + ")"
                        : !noisy.isEmpty() ? "unclear: " + String.join(", ", noisy)
                                + " within the difference between the two runs without the agent"
                        : "met");
                table.row(row.toArray());
            }
        }
        table.end();
        md.paragraph("A difference is one run against one run. The last column measures the same thing twice"
                + " without the agent: a difference with the agent larger than 1 ms but no larger than that one is"
                + " \"unclear\", not \"not met\". Against the servers without `TCP_NODELAY` the JDK client switches"
                + " between two states, one where most calls pay Linux's 40 ms delayed ACK and one where few do,"
                + " depending on how soon each pooled connection is reused (see the README's Results); which one a"
                + " run of a few seconds lands in differs from run to run, with or without the agent.");
        return md;
    }

    private static String pair(double a, double b) {
        return Markdown.num(a, 1) + " / " + Markdown.num(b, 1);
    }

    private static String signed(double v) {
        String s = Markdown.num(Math.abs(v), 1);
        return (v < -0.05 ? "−" : "+") + s;
    }

    private static String errors(Cell cell) {
        return cell.errors > 0 ? " (" + cell.errors + " errors)" : "";
    }
}
