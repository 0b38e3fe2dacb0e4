package io.tailguard.it.app;

import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.util.Map;

/**
 * Option {@code credentials=user:password}: the client answers a server's Basic challenge
 * ({@code 401} with {@code WWW-Authenticate}) with them; {@code proxyCredentials=user:password}: a
 * proxy's ({@code 407} with {@code Proxy-Authenticate}). Given to the client the way each takes
 * credentials: the JDK's {@code Authenticator}, OkHttp's {@code authenticator} and
 * {@code proxyAuthenticator}, Apache's {@code CredentialsProvider}.
 */
final class Login {

    final String user;
    final String password;
    /** Whose challenges these credentials answer. */
    final Authenticator.RequestorType asker;

    private Login(String credentials, Authenticator.RequestorType asker) {
        int colon = credentials.indexOf(':');
        this.user = credentials.substring(0, colon);
        this.password = credentials.substring(colon + 1);
        this.asker = asker;
    }

    /** The call's credentials, a server's or else a proxy's, or {@code null} without either option. */
    static Login of(Map<String, String> call) {
        String server = call.get("credentials");
        if (server != null) {
            return new Login(server, Authenticator.RequestorType.SERVER);
        }
        String proxy = call.get("proxyCredentials");
        return proxy == null ? null : new Login(proxy, Authenticator.RequestorType.PROXY);
    }

    /** The options' values, for a client cache's key. */
    static String key(Map<String, String> call) {
        return call.getOrDefault("credentials", "none") + "/" + call.getOrDefault("proxyCredentials", "none");
    }

    /** Whether these are a proxy's credentials. */
    boolean forProxy() {
        return asker == Authenticator.RequestorType.PROXY;
    }

    /** For the JDK's clients, answering the challenges of the one who asks for these credentials. */
    Authenticator authenticator() {
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return getRequestorType() == asker ? new PasswordAuthentication(user, password.toCharArray()) : null;
            }
        };
    }
}
