package io.tailguard.it;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ConnectHandler;
import org.eclipse.jetty.util.Callback;

/**
 * An HTTP proxy on 127.0.0.1, Jetty's own: {@code CONNECT} tunnels ({@link ConnectHandler}) for
 * HTTPS and forwarding ({@link ProxyHandler.Forward}) for plain HTTP. It answers for host names no
 * resolver knows, which it reaches at 127.0.0.1, so an application can only get there through it;
 * and it records the header block of every request it was sent, {@code CONNECT}s included. One
 * {@link #requiring} credentials challenges the plain HTTP requests it forwards and the
 * {@code CONNECT}s it is sent without them.
 */
public final class ForwardProxy implements AutoCloseable {

    private final Set<String> hostNames;
    /** The {@code Proxy-Authorization} every request must carry, or {@code null}. */
    private final String authorization;
    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<AgentedApp> applications = new CopyOnWriteArrayList<>();

    /** A request as the proxy received it: its method, its target and its headers. */
    public static final class Seen {
        public final String method;
        public final String target;
        public final HttpFields headers;

        Seen(String method, String target, HttpFields headers) {
            this.method = method;
            this.target = target;
            this.headers = headers;
        }

        @Override
        public String toString() {
            return method + " " + target + " " + headers.getFieldNamesCollection();
        }
    }

    /** A proxy that reaches {@code hostNames} at 127.0.0.1 (other hosts as named). */
    public static ForwardProxy start(String... hostNames) {
        return start(null, hostNames);
    }

    /**
     * A proxy that answers every request without these credentials ({@code user:password}, Basic)
     * with {@code 407} and a Basic challenge, as a proxy that asks for credentials does.
     */
    public static ForwardProxy requiring(String credentials, String... hostNames) {
        return start("Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)),
                hostNames);
    }

    private static ForwardProxy start(String authorization, String... hostNames) {
        ForwardProxy proxy = new ForwardProxy(Set.of(hostNames), authorization);
        try {
            proxy.server.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return proxy;
    }

    private ForwardProxy(Set<String> hostNames, String authorization) {
        this.hostNames = hostNames;
        this.authorization = authorization;
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        ProxyHandler.Forward forward = new ProxyHandler.Forward() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                seen.add(new Seen(request.getMethod(), request.getHttpURI().asString(), request.getHeaders().asImmutable()));
                if (challenged(request, response, callback)) {
                    return true;
                }
                return super.handle(request, response, callback);
            }

            @Override
            protected HttpURI rewriteHttpURI(Request request) {
                HttpURI target = super.rewriteHttpURI(request);
                return hostNames.contains(target.getHost()) ? HttpURI.build(target).host("127.0.0.1").asImmutable() : target;
            }
        };
        server.setHandler(new ConnectHandler(forward) {
            @Override
            protected void handleConnect(Request request, Response response, Callback callback, String serverAddress) {
                seen.add(new Seen(request.getMethod(), serverAddress, request.getHeaders().asImmutable()));
                if (!challenged(request, response, callback)) {
                    super.handleConnect(request, response, callback, serverAddress);
                }
            }

            @Override
            protected InetSocketAddress newConnectAddress(String host, int port) {
                return hostNames.contains(host) ? new InetSocketAddress("127.0.0.1", port) : super.newConnectAddress(host, port);
            }
        });
    }

    /** Answers {@code 407} with a Basic challenge where credentials are required and the request lacks them. */
    private boolean challenged(Request request, Response response, Callback callback) {
        if (authorization == null || authorization.equals(request.getHeaders().get(HttpHeader.PROXY_AUTHORIZATION))) {
            return false;
        }
        response.setStatus(407);
        response.getHeaders().put(HttpHeader.PROXY_AUTHENTICATE, "Basic realm=\"proxy\"");
        Content.Sink.write(response, true, "credentials, please", callback);
        return true;
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** The JVM options that send an application's HTTP and HTTPS requests through this proxy. */
    public List<String> jvmOptions() {
        return List.of("-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=" + port(),
                "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=" + port());
    }

    /**
     * Starts an application whose HTTP and HTTPS requests go through this proxy ({@link #jvmOptions});
     * {@link #close} stops it, and fails if its agent logged a warning or an error.
     */
    public AgentedApp application(AgentedApp.Builder builder) {
        jvmOptions().forEach(builder::jvmOption);
        AgentedApp app = builder.start();
        applications.add(app);
        return app;
    }

    /** The requests received so far, in order. */
    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    public void clear() {
        seen.clear();
    }

    @Override
    public void close() throws Exception {
        try {
            for (AgentedApp app : applications) {
                app.closeExpectingNoAgentProblem();
            }
        } finally {
            server.stop();
        }
    }
}
