package dev.cloak.keys;

import java.util.List;

/**
 * An immutable snapshot of the keys available for decryption. {@code origin} says where they came from
 * (a directory, or key files named on the command line) so that errors can tell the operator where to look.
 */
public record Keyring(String origin, List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates) {
    public Keyring {
        privateKeys = List.copyOf(privateKeys);
        certificates = List.copyOf(certificates);
    }

    public static Keyring empty(String origin) {
        return new Keyring(origin, List.of(), List.of());
    }

    public int size() {
        return privateKeys.size();
    }

    public Keyring plus(Keyring other) {
        List<PrivateKeyEntry> keys = new java.util.ArrayList<>(privateKeys);
        keys.addAll(other.privateKeys);
        List<CertificateEntry> certs = new java.util.ArrayList<>(certificates);
        certs.addAll(other.certificates);
        String joined = origin.isEmpty() ? other.origin : other.origin.isEmpty() ? origin : origin + " and " + other.origin;
        return new Keyring(joined, keys, certs);
    }
}
