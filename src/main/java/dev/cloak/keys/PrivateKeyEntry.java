package dev.cloak.keys;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;

/**
 * A private key loaded from {@code source}. {@code keyId} is the JWK "kid" when the key came as a JWK, so a
 * JWE recipient naming that kid is tried first. {@code toString} never shows key material.
 */
public record PrivateKeyEntry(Path source, PrivateKey key, String keyId) {

    /** "RSA-2048", "EC P-256" and the like, for messages and metrics. */
    public String type() {
        if (key instanceof RSAPrivateKey rsa) {
            return "RSA-" + rsa.getModulus().bitLength();
        }
        if (key instanceof ECPrivateKey ec) {
            return "EC P-" + ec.getParams().getCurve().getField().getFieldSize();
        }
        return key.getAlgorithm();
    }

    @Override
    public String toString() {
        return type() + " key from " + source;
    }
}
