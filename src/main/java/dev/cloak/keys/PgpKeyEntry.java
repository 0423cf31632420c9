package dev.cloak.keys;

import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;

import java.nio.file.Path;

/**
 * An unlocked OpenPGP secret key (a primary key or subkey that can decrypt) from a secret keyring file.
 * {@code keyId} is what OpenPGP messages name their recipients by. {@code toString} never shows key material.
 */
public record PgpKeyEntry(Path source, long keyId, PGPPrivateKey privateKey, String type) {

    static PgpKeyEntry of(Path source, PGPPublicKey publicKey, PGPPrivateKey privateKey) {
        return new PgpKeyEntry(source, publicKey.getKeyID(), privateKey, type(publicKey));
    }

    /** "RSA-3072", "ECDH", "X25519" and the like, for messages. */
    static String type(PGPPublicKey key) {
        String name = algorithmName(key.getAlgorithm());
        return name.equals("RSA") || name.equals("ElGamal") ? name + "-" + key.getBitStrength() : name;
    }

    /** "RSA", "ECDH", "X25519" and the like, for messages; old keys still carry deprecated algorithm IDs. */
    @SuppressWarnings("deprecation")
    public static String algorithmName(int id) {
        return switch (id) {
            case PublicKeyAlgorithmTags.RSA_GENERAL, PublicKeyAlgorithmTags.RSA_ENCRYPT -> "RSA";
            case PublicKeyAlgorithmTags.ELGAMAL_ENCRYPT, PublicKeyAlgorithmTags.ELGAMAL_GENERAL -> "ElGamal";
            case PublicKeyAlgorithmTags.ECDH -> "ECDH";
            case PublicKeyAlgorithmTags.X25519 -> "X25519";
            case PublicKeyAlgorithmTags.X448 -> "X448";
            default -> "algorithm " + id;
        };
    }

    /** The key ID as gpg prints it with {@code --keyid-format long}. */
    public String hexId() {
        return hexId(keyId);
    }

    public static String hexId(long keyId) {
        return String.format("%016X", keyId);
    }

    @Override
    public String toString() {
        return "OpenPGP " + type + " key " + hexId() + " from " + source;
    }
}
