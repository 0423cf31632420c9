package dev.cloak.keys;

import dev.cloak.pkcs11.Pkcs11KeyRef;

import java.util.List;

/** What a file in a key directory turned out to be. */
public sealed interface KeyFile {
    /** Usable keys, token key references and certificates (at least one of the lists is non-empty). */
    record Keys(List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates, List<Pkcs11KeyRef> pkcs11Keys)
            implements KeyFile {
        public Keys {
            privateKeys = List.copyOf(privateKeys);
            certificates = List.copyOf(certificates);
            pkcs11Keys = List.copyOf(pkcs11Keys);
        }

        public Keys(List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates) {
            this(privateKeys, certificates, List.of());
        }
    }

    /** A public key: useful for encrypting, not for decrypting; ignored without a warning. */
    record PublicOnly() implements KeyFile {
    }

    /** Not usable; {@code reason} is one sentence for the warning that names the file. */
    record Unusable(String reason) implements KeyFile {
    }
}
