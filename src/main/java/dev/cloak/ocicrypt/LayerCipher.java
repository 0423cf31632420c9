package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.stream.Limits;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;

/**
 * AES_256_CTR_HMAC_SHA256 as ocicrypt defines it: one 32-byte key for AES-256 and for HMAC-SHA256, the
 * 16-byte nonce as the whole initial counter block, HMAC over the ciphertext only. CTR mode is its own
 * inverse, so both directions share {@link #pump}.
 */
final class LayerCipher {
    private LayerCipher() {
    }

    static Cipher decryptor(byte[] key, byte[] nonce) {
        return init(Cipher.DECRYPT_MODE, key, nonce);
    }

    static Cipher encryptor(byte[] key, byte[] nonce) {
        return init(Cipher.ENCRYPT_MODE, key, nonce);
    }

    private static Cipher init(int mode, byte[] key, byte[] nonce) {
        try {
            Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(nonce));
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot do AES-256-CTR", e);
        }
    }

    static Mac hmac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot do HMAC-SHA256", e);
        }
    }

    /** Receives each chunk: the input bytes and the transformed bytes, both {@code n} long. */
    interface ChunkConsumer {
        void accept(byte[] in, byte[] out, int n) throws IOException;
    }

    /**
     * Reads {@code in} to its end in fixed-size chunks, transforms each with {@code cipher} and hands both
     * to {@code consumer}. Fails as soon as more than {@code maxBytes} arrive (-1: no limit). Returns the count.
     */
    static long pump(InputStream in, long maxBytes, String layer, Cipher cipher, ChunkConsumer consumer) throws IOException {
        byte[] buf = new byte[Limits.COPY_BUFFER_BYTES];
        byte[] out = new byte[Limits.COPY_BUFFER_BYTES];
        long total = 0;
        int n;
        while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
            total += n;
            if (maxBytes >= 0 && total > maxBytes) {
                throw CloakException.integrity("layer " + layer + " is longer than the " + maxBytes
                        + " bytes its descriptor declares; nothing was kept");
            }
            try {
                int produced = cipher.update(buf, 0, n, out);
                if (produced != n) {
                    throw new IllegalStateException("AES-CTR produced " + produced + " bytes for " + n);
                }
            } catch (ShortBufferException e) {
                throw new IllegalStateException(e);
            }
            consumer.accept(buf, out, n);
        }
        return total;
    }
}
