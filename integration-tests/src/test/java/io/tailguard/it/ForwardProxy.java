package io.tailguard.it;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
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
 * and it records the header block of every request it was sent, {@code CONNECT}s included.
 */
public final class ForwardProxy implements AutoCloseable {

    private final Set<String> hostNames;
    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

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
        ForwardProxy proxy = new ForwardProxy(Set.of(hostNames));
        try {
            proxy.server.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return proxy;
    }

    private ForwardProxy(Set<String> hostNames) {
        this.hostNames = hostNames;
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        ProxyHandler.Forward forward = new ProxyHandler.Forward() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                seen.add(new Seen(request.getMethod(), request.getHttpURI().asString(), request.getHeaders().asImmutable()));
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
                super.handleConnect(request, response, callback, serverAddress);
            }

            @Override
            protected InetSocketAddress newConnectAddress(String host, int port) {
                return hostNames.contains(host) ? new InetSocketAddress("127.0.0.1", port) : super.newConnectAddress(host, port);
            }
        });
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** The JVM options that send an application's HTTP and HTTPS requests through this proxy. */
    public List<String> jvmOptions() {
        return List.of("-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=" + port(),
                "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=" + port());
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
        server.stop();
    }
}
