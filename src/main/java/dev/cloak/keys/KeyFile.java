package dev.cloak.keys;

import dev.cloak.pkcs11.Pkcs11KeyRef;

import java.util.List;

/** What a file in a key directory turned out to be. */
public sealed interface KeyFile {
    /**
     * Usable keys, token key references, OpenPGP secret keys and certificates (at least one of the lists is
     * non-empty).
     */
    record Keys(List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates, List<Pkcs11KeyRef> pkcs11Keys,
                List<PgpKeyEntry> pgpKeys) implements KeyFile {
        public Keys {
            privateKeys = List.copyOf(privateKeys);
            certificates = List.copyOf(certificates);
            pkcs11Keys = List.copyOf(pkcs11Keys);
            pgpKeys = List.copyOf(pgpKeys);
        }

        public Keys(List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates) {
            this(privateKeys, certificates, List.of(), List.of());
        }

        /** A PKCS#11 key file: a reference to a key that stays in its token. */
        public static Keys inToken(Pkcs11KeyRef key) {
            return new Keys(List.of(), List.of(), List.of(key), List.of());
        }

        /** The unlocked secret keys of an OpenPGP keyring. */
        public static Keys pgp(List<PgpKeyEntry> keys) {
            return new Keys(List.of(), List.of(), List.of(), keys);
        }
    }

    /** A public key: useful for encrypting, not for decrypting; ignored without a warning. */
    record PublicOnly() implements KeyFile {
    }

    /** Not usable; {@code reason} is one sentence for the warning that names the file. */
    record Unusable(String reason) implements KeyFile {
    }
}
