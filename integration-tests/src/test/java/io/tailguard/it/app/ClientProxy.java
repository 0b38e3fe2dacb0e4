package io.tailguard.it.app;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.Map;

/**
 * Option {@code proxy=host:port}: an HTTP proxy set on the client itself, the way each client
 * takes one (the JDK client's {@code ProxySelector}, {@code URL.openConnection(Proxy)}, OkHttp's
 * {@code proxy}, Apache's {@code setProxy}), rather than the JVM's {@code http.proxyHost}.
 */
final class ClientProxy {

    final String host;
    final int port;

    private ClientProxy(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        this.host = hostAndPort.substring(0, colon);
        this.port = Integer.parseInt(hostAndPort.substring(colon + 1));
    }

    /** The call's proxy, or {@code null} without the option. */
    static ClientProxy of(Map<String, String> call) {
        String proxy = call.get("proxy");
        return proxy == null ? null : new ClientProxy(proxy);
    }

    /** The option's value, for a client cache's key. */
    static String key(Map<String, String> call) {
        return call.getOrDefault("proxy", "none");
    }

    InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    Proxy proxy() {
        return new Proxy(Proxy.Type.HTTP, address());
    }
}
