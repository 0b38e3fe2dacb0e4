package io.tailguard.agent.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;

/**
 * The identity of one logical request of one caller, as the in-flight and replay tables key it: a
 * SHA-256 over the caller's credentials (every value of {@code Authorization},
 * {@code Proxy-Authorization} and {@code Cookie}, and what the container authenticated), the method,
 * the target and the request id or {@code Idempotency-Key}. Hashing keeps each key at 32 bytes
 * whatever the target's length, and keeps no credential in memory.
 */
final class CallerKey {

    static final List<String> CREDENTIAL_HEADERS = List.of("Authorization", "Proxy-Authorization", "Cookie");

    private final byte[] hash;
    private final int hashCode;

    private CallerKey(byte[] hash) {
        this.hash = hash;
        this.hashCode = Arrays.hashCode(hash);
    }

    /** Whether the request carries any credential at all. */
    static boolean hasCredentials(ServerExchange exchange) {
        if (exchange.authenticatedIdentity() != null) {
            return true;
        }
        for (String name : CREDENTIAL_HEADERS) {
            if (exchange.header(name) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param id the request id, or the {@code Idempotency-Key} (then {@code method} and {@code target}
     *     are left out: what the key names is compared separately, so that a reuse is detected)
     */
    static CallerKey of(ServerExchange exchange, String scope, String method, String target, String id) {
        MessageDigest digest = sha256();
        for (String name : CREDENTIAL_HEADERS) {
            for (String value : exchange.headers(name)) {
                field(digest, name);
                field(digest, value);
            }
        }
        String identity = exchange.authenticatedIdentity();
        if (identity != null) {
            field(digest, "identity");
            field(digest, identity);
        }
        field(digest, scope);
        field(digest, method);
        field(digest, target);
        field(digest, id);
        return new CallerKey(digest.digest());
    }

    /** A digest of the parts of a request an {@code Idempotency-Key} must always come with. */
    static CallerKey signature(String method, String target, String contentType, String contentLength) {
        MessageDigest digest = sha256();
        field(digest, method);
        field(digest, target);
        field(digest, contentType == null ? "" : contentType);
        field(digest, contentLength == null ? "" : contentLength);
        return new CallerKey(digest.digest());
    }

    private static void field(MessageDigest digest, String value) {
        byte[] bytes = (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
        // Length-prefixed, so that no two different field lists hash the same input.
        digest.update((byte) (bytes.length >>> 24));
        digest.update((byte) (bytes.length >>> 16));
        digest.update((byte) (bytes.length >>> 8));
        digest.update((byte) bytes.length);
        digest.update(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CallerKey && Arrays.equals(hash, ((CallerKey) o).hash);
    }

    @Override
    public int hashCode() {
        return hashCode;
    }
}
