package dev.cloak.pkcs11;

import org.bouncycastle.crypto.AsymmetricBlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.encodings.OAEPEncoding;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;

/**
 * RSA-OAEP as ocicrypt uses it for PKCS#11 (MGF1 with the same hash as OAEP, empty label), with SHA-256 or
 * SHA-1. Encryption needs only the public key and runs in software. Decryption splits the work: the raw RSA
 * operation runs in the token (SunPKCS11's {@code RSA/ECB/NoPadding}, which is CKM_RSA_X_509) so the private
 * key never leaves it, and the OAEP decoding runs in Bouncy Castle. That is because SunPKCS11 in JDK 17 has no
 * OAEP cipher at all, and SoftHSM2's CKM_RSA_PKCS_OAEP accepts only SHA-1.
 */
public final class RsaOaep {
    public enum Hash {
        SHA1("sha1", "SHA-1", MGF1ParameterSpec.SHA1), SHA256("sha256", "SHA-256", MGF1ParameterSpec.SHA256);

        public final String wire;
        final String jca;
        final MGF1ParameterSpec mgf;

        Hash(String wire, String jca, MGF1ParameterSpec mgf) {
            this.wire = wire;
            this.jca = jca;
            this.mgf = mgf;
        }

        /** ocicrypt's "hash" field: empty means SHA-1 (what older writers left out); null for one Cloak cannot use. */
        public static Hash of(String wire) {
            if (wire == null || wire.isEmpty() || wire.equals("sha1")) {
                return SHA1;
            }
            return wire.equals("sha256") ? SHA256 : null;
        }

        /** SHA-256 when {@code length} bytes fit under {@code key} with it, else SHA-1 (which leaves 24 more bytes). */
        public static Hash strongestFor(RSAPublicKey key, int length) {
            int k = (key.getModulus().bitLength() + 7) / 8;
            return length <= k - 2 * 32 - 2 ? SHA256 : SHA1;
        }

        Digest digest() {
            return this == SHA1 ? new SHA1Digest() : new SHA256Digest();
        }
    }

    private RsaOaep() {
    }

    public static byte[] encrypt(RSAPublicKey key, byte[] plaintext, Hash hash) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
        c.init(Cipher.ENCRYPT_MODE, key, new OAEPParameterSpec(hash.jca, "MGF1", hash.mgf, PSource.PSpecified.DEFAULT));
        return c.doFinal(plaintext);
    }

    /**
     * Decrypts with a key that lives in {@code token}; null when the ciphertext was not made for this key
     * (or was altered), without telling which check failed.
     */
    public static byte[] decrypt(PrivateKey key, int modulusBytes, Provider token, byte[] ciphertext, Hash hash) {
        if (ciphertext.length != modulusBytes) {
            return null;
        }
        OAEPEncoding oaep = new OAEPEncoding(new TokenRsa(key, modulusBytes, token), hash.digest(), hash.digest(), null);
        oaep.init(false, null);
        try {
            return oaep.processBlock(ciphertext, 0, ciphertext.length);
        } catch (InvalidCipherTextException | TokenRsa.Failed wrongKey) {
            return null;
        }
    }

    /** Raw RSA in the token, shaped as the engine Bouncy Castle's OAEP decoder drives. */
    private static final class TokenRsa implements AsymmetricBlockCipher {
        private final PrivateKey key;
        private final int k;
        private final Provider token;

        TokenRsa(PrivateKey key, int modulusBytes, Provider token) {
            this.key = key;
            this.k = modulusBytes;
            this.token = token;
        }

        @Override
        public void init(boolean forEncryption, CipherParameters param) {
            if (forEncryption) {
                throw new UnsupportedOperationException("decryption only");
            }
        }

        @Override
        public int getInputBlockSize() {
            return k;
        }

        /** The encoded message without its leading zero octet, as OAEP decoding expects it. */
        @Override
        public int getOutputBlockSize() {
            return k - 1;
        }

        @Override
        public byte[] processBlock(byte[] in, int inOff, int len) {
            byte[] raw;
            try {
                Cipher c = Cipher.getInstance("RSA/ECB/NoPadding", token);
                c.init(Cipher.DECRYPT_MODE, key);
                raw = c.doFinal(in, inOff, len);
            } catch (GeneralSecurityException | java.security.ProviderException e) {
                throw new Failed();
            }
            // Tokens may or may not strip leading zero octets; normalise to exactly k octets first.
            byte[] em = new byte[k];
            if (raw.length > k) {
                throw new Failed();
            }
            System.arraycopy(raw, 0, em, k - raw.length, raw.length);
            Arrays.fill(raw, (byte) 0);
            // A non-zero first octet is left in, so the decoder's size check rejects it in its usual way.
            return em[0] == 0 ? Arrays.copyOfRange(em, 1, k) : em;
        }

        /** The token refused the operation: for the caller, the same as a wrong key. */
        static final class Failed extends RuntimeException {
            Failed() {
                super(null, null, false, false);
            }
        }
    }
}
