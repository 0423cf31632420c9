package dev.cloak.keys;

import java.util.List;

/** What a file in a key directory turned out to be. */
public sealed interface KeyFile {
    /** Usable keys and certificates (at least one of the two lists is non-empty). */
    record Keys(List<PrivateKeyEntry> privateKeys, List<CertificateEntry> certificates) implements KeyFile {
        public Keys {
            privateKeys = List.copyOf(privateKeys);
            certificates = List.copyOf(certificates);
        }
    }

    /** A public key: useful for encrypting, not for decrypting; ignored without a warning. */
    record PublicOnly() implements KeyFile {
    }

    /** Not usable; {@code reason} is one sentence for the warning that names the file. */
    record Unusable(String reason) implements KeyFile {
    }
}
