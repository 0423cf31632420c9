package dev.cloak.keys;

import dev.cloak.pkcs11.Pkcs11KeyRef;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable snapshot of the keys available for decryption: private keys in memory, and references to
 * private keys that stay in PKCS#11 tokens. {@code origin} says where they came from (a directory, or key
 * files named on the command line) so that errors can tell the operator where to look.
 */
public record Keyring(String origin, List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates,
                      List<Pkcs11KeyRef> pkcs11Keys) {
    public Keyring {
        privateKeys = List.copyOf(privateKeys);
        certificates = List.copyOf(certificates);
        pkcs11Keys = List.copyOf(pkcs11Keys);
    }

    public Keyring(String origin, List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates) {
        this(origin, privateKeys, certificates, List.of());
    }

    public static Keyring empty(String origin) {
        return new Keyring(origin, List.of(), List.of());
    }

    /** How many private keys there are, in memory and in tokens. */
    public int size() {
        return privateKeys.size() + pkcs11Keys.size();
    }

    public Keyring plus(Keyring other) {
        List<PrivateKeyEntry> keys = new ArrayList<>(privateKeys);
        keys.addAll(other.privateKeys);
        List<CertificateEntry> certs = new ArrayList<>(certificates);
        certs.addAll(other.certificates);
        List<Pkcs11KeyRef> tokenKeys = new ArrayList<>(pkcs11Keys);
        tokenKeys.addAll(other.pkcs11Keys);
        String joined = origin.isEmpty() ? other.origin : other.origin.isEmpty() ? origin : origin + " and " + other.origin;
        return new Keyring(joined, keys, certs, tokenKeys);
    }
}
