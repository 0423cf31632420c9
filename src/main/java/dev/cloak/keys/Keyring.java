package dev.cloak.keys;

import dev.cloak.pkcs11.Pkcs11KeyRef;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable snapshot of the keys available for decryption: private keys in memory, references to
 * private keys that stay in PKCS#11 tokens, and unlocked OpenPGP secret keys. {@code origin} says where they
 * came from (a directory, or key files named on the command line) so that errors can tell the operator where
 * to look.
 */
public record Keyring(String origin, List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates,
                      List<Pkcs11KeyRef> pkcs11Keys, List<PgpKeyEntry> pgpKeys) {
    public Keyring {
        privateKeys = List.copyOf(privateKeys);
        certificates = List.copyOf(certificates);
        pkcs11Keys = List.copyOf(pkcs11Keys);
        pgpKeys = List.copyOf(pgpKeys);
    }

    public Keyring(String origin, List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates) {
        this(origin, privateKeys, certificates, List.of(), List.of());
    }

    public static Keyring empty(String origin) {
        return new Keyring(origin, List.of(), List.of());
    }

    /** Everything that the usable files of one origin hold, in the order of {@code files}. */
    public static Keyring of(String origin, List<KeyFile.Keys> files) {
        List<PrivateKeyEntry> keys = new ArrayList<>();
        List<CertificateEntry> certs = new ArrayList<>();
        List<Pkcs11KeyRef> tokenKeys = new ArrayList<>();
        List<PgpKeyEntry> pgp = new ArrayList<>();
        for (KeyFile.Keys file : files) {
            keys.addAll(file.privateKeys());
            certs.addAll(file.certificates());
            tokenKeys.addAll(file.pkcs11Keys());
            pgp.addAll(file.pgpKeys());
        }
        return new Keyring(origin, keys, certs, tokenKeys, pgp);
    }

    /**
     * How many keys can decrypt: private keys in memory and in tokens, and OpenPGP secret keys (certificates
     * alone cannot).
     */
    public int size() {
        return privateKeys.size() + pkcs11Keys.size() + pgpKeys.size();
    }

    public Keyring plus(Keyring other) {
        String joined = origin.isEmpty() ? other.origin : other.origin.isEmpty() ? origin : origin + " and " + other.origin;
        return of(joined, List.of(asFile(), other.asFile()));
    }

    private KeyFile.Keys asFile() {
        return new KeyFile.Keys(privateKeys, certificates, pkcs11Keys, pgpKeys);
    }
}
