package io.tailguard.it;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * A key pair and self-signed certificate for {@code 127.0.0.1} and {@code localhost} (and any other
 * host names asked for), made by the JDK's {@code keytool}: the server's key, and the trust store
 * an application JVM is started with.
 */
public final class SelfSignedTls {

    private static final String PASSWORD = "changeit";

    private final Path keyStore;

    private SelfSignedTls(Path keyStore) {
        this.keyStore = keyStore;
    }

    public static SelfSignedTls create() {
        return create(new String[0]);
    }

    /** A certificate for {@code 127.0.0.1}, {@code localhost} and {@code hostNames}. */
    public static SelfSignedTls create(String... hostNames) {
        StringBuilder names = new StringBuilder("SAN=ip:127.0.0.1,dns:localhost");
        for (String name : hostNames) {
            names.append(",dns:").append(name);
        }
        try {
            Path dir = Files.createTempDirectory("tailguard-tls");
            Path keys = dir.resolve("server.p12");
            // Deleted at exit in the reverse order: the file, then the directory.
            dir.toFile().deleteOnExit();
            keys.toFile().deleteOnExit();
            Process keytool = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=localhost", "-ext", names.toString(), "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", keys.toString(), "-storepass", PASSWORD)
                    .redirectErrorStream(true).start();
            String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (keytool.waitFor() != 0) {
                throw new IllegalStateException("keytool: " + output);
            }
            return new SelfSignedTls(keys);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server's side: its key and certificate. */
    public SSLSocketFactory serverSockets() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStore)) {
                store.load(in, PASSWORD.toCharArray());
            }
            KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            managers.init(store, PASSWORD.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(managers.getKeyManagers(), null, null);
            return context.getSocketFactory();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An application JVM's options that make the certificate the one it trusts. */
    public List<String> trustingJvmOptions() {
        return List.of("-Djavax.net.ssl.trustStore=" + keyStore, "-Djavax.net.ssl.trustStorePassword=" + PASSWORD,
                "-Djavax.net.ssl.trustStoreType=PKCS12");
    }
}
