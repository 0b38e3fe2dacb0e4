package io.tailguard.it.app;

import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.util.Map;

/**
 * Option {@code credentials=user:password}: the client answers a server's Basic challenge
 * ({@code 401} with {@code WWW-Authenticate}) with them, given to it the way each client takes
 * credentials: the JDK's {@code Authenticator}, OkHttp's {@code Authenticator}, Apache's
 * {@code CredentialsProvider}.
 */
final class Login {

    final String user;
    final String password;

    private Login(String user, String password) {
        this.user = user;
        this.password = password;
    }

    /** The call's credentials, or {@code null} without the option. */
    static Login of(Map<String, String> call) {
        String credentials = call.get("credentials");
        if (credentials == null) {
            return null;
        }
        int colon = credentials.indexOf(':');
        return new Login(credentials.substring(0, colon), credentials.substring(colon + 1));
    }

    /** The option's value, for a client cache's key ({@code none} without it). */
    static String key(Map<String, String> call) {
        return call.getOrDefault("credentials", "none");
    }

    /** For the JDK's clients, answering a server's challenges (not a proxy's). */
    Authenticator authenticator() {
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return getRequestorType() == RequestorType.SERVER
                        ? new PasswordAuthentication(user, password.toCharArray()) : null;
            }
        };
    }
}
