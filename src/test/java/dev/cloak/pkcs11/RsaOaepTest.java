package dev.cloak.pkcs11;

import dev.cloak.testing.PemKeys;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Security;
import java.security.interfaces.RSAPublicKey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The split OAEP decryption, with SunJCE's raw RSA standing in for a token's CKM_RSA_X_509. */
class RsaOaepTest {
    private static final Provider RAW = Security.getProvider("SunJCE");
    private static final KeyPair RSA_2048 = PemKeys.rsa();
    private static final KeyPair RSA_3072 = rsa(3072);
    /** As long as ocicrypt's private options: 193 bytes. */
    private static final byte[] OPTIONS = ("{\"symkey\":\"" + "A".repeat(43) + "=\",\"digest\":\"sha256:" + "0".repeat(64)
            + "\",\"cipheroptions\":{\"nonce\":\"" + "B".repeat(22) + "==\"}}").getBytes(StandardCharsets.US_ASCII);

    private static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] decrypt(KeyPair pair, byte[] ciphertext, RsaOaep.Hash hash) {
        return RsaOaep.decrypt(pair.getPrivate(), (((RSAPublicKey) pair.getPublic()).getModulus().bitLength() + 7) / 8,
                RAW, ciphertext, hash);
    }

    @Test
    void theOptionsNeedSha1Under2048BitKeysAndGetSha256Above() {
        assertEquals(193, OPTIONS.length);
        assertEquals(RsaOaep.Hash.SHA1, RsaOaep.Hash.strongestFor((RSAPublicKey) RSA_2048.getPublic(), OPTIONS.length));
        assertEquals(RsaOaep.Hash.SHA256, RsaOaep.Hash.strongestFor((RSAPublicKey) RSA_3072.getPublic(), OPTIONS.length));
        assertEquals(RsaOaep.Hash.SHA256, RsaOaep.Hash.strongestFor((RSAPublicKey) RSA_2048.getPublic(), 190));
    }

    @Test
    void roundTripsWithBothHashes() throws Exception {
        byte[] sha1 = RsaOaep.encrypt((RSAPublicKey) RSA_2048.getPublic(), OPTIONS, RsaOaep.Hash.SHA1);
        assertArrayEquals(OPTIONS, decrypt(RSA_2048, sha1, RsaOaep.Hash.SHA1));
        byte[] sha256 = RsaOaep.encrypt((RSAPublicKey) RSA_3072.getPublic(), OPTIONS, RsaOaep.Hash.SHA256);
        assertArrayEquals(OPTIONS, decrypt(RSA_3072, sha256, RsaOaep.Hash.SHA256));
    }

    @Test
    void matchesTheJdksOwnOaepWithMgf1OfTheSameHash() throws Exception {
        javax.crypto.Cipher jdk = javax.crypto.Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
        jdk.init(javax.crypto.Cipher.ENCRYPT_MODE, RSA_3072.getPublic(), new javax.crypto.spec.OAEPParameterSpec("SHA-256", "MGF1",
                java.security.spec.MGF1ParameterSpec.SHA256, javax.crypto.spec.PSource.PSpecified.DEFAULT));
        assertArrayEquals(OPTIONS, decrypt(RSA_3072, jdk.doFinal(OPTIONS), RsaOaep.Hash.SHA256));
    }

    @Test
    void aWrongKeyHashOrAlteredCiphertextGivesNull() throws Exception {
        byte[] c = RsaOaep.encrypt((RSAPublicKey) RSA_2048.getPublic(), OPTIONS, RsaOaep.Hash.SHA1);
        assertNull(decrypt(PemKeys.rsa(), c, RsaOaep.Hash.SHA1));
        assertNull(decrypt(RSA_2048, c, RsaOaep.Hash.SHA256));
        c[100] ^= 1;
        assertNull(decrypt(RSA_2048, c, RsaOaep.Hash.SHA1));
        assertNull(decrypt(RSA_2048, new byte[10], RsaOaep.Hash.SHA1));
        assertNull(decrypt(RSA_3072, RsaOaep.encrypt((RSAPublicKey) RSA_2048.getPublic(), OPTIONS, RsaOaep.Hash.SHA1), RsaOaep.Hash.SHA1));
    }

    @Test
    void theHashFieldIsReadAsOcicryptWritesIt() {
        assertEquals(RsaOaep.Hash.SHA1, RsaOaep.Hash.of(""));
        assertEquals(RsaOaep.Hash.SHA1, RsaOaep.Hash.of(null));
        assertEquals(RsaOaep.Hash.SHA1, RsaOaep.Hash.of("sha1"));
        assertEquals(RsaOaep.Hash.SHA256, RsaOaep.Hash.of("sha256"));
        assertNull(RsaOaep.Hash.of("sha512"));
    }
}
