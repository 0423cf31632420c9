package dev.cloak.ocicrypt;

import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;

/**
 * Proof that a layer was decrypted and fully verified: its HMAC matched, the ciphertext matched the
 * encrypted descriptor's digest and size, and the plaintext matched the digest in the private options.
 * Only this package can make one.
 */
public final class VerifiedLayer {
    private final Descriptor encrypted;
    private final Descriptor decrypted;

    VerifiedLayer(Descriptor encrypted, Descriptor decrypted) {
        this.encrypted = encrypted;
        this.decrypted = decrypted;
    }

    /** The layer as it was in the encrypted manifest. */
    public Descriptor encrypted() {
        return encrypted;
    }

    /** The plaintext layer's descriptor: decrypted media type, plaintext digest and size, no enc annotations. */
    public Descriptor decrypted() {
        return decrypted;
    }

    public Digest digest() {
        return decrypted.digest();
    }

    public long size() {
        return decrypted.size();
    }
}
