package dev.cloak.pkcs11;

import java.security.PrivateKey;
import java.security.Provider;
import java.security.interfaces.RSAPublicKey;

/** A private key object in a logged-in token, with its public half (from the token's certificate). */
public record TokenKey(PrivateKey privateKey, RSAPublicKey publicKey, Provider provider, String description) {
    public int modulusBytes() {
        return (publicKey.getModulus().bitLength() + 7) / 8;
    }

    /** Decrypts {@code ciphertext}; null when it was not made for this key. */
    public byte[] decrypt(byte[] ciphertext, RsaOaep.Hash hash) {
        return RsaOaep.decrypt(privateKey, modulusBytes(), provider, ciphertext, hash);
    }

    @Override
    public String toString() {
        return description;
    }
}
