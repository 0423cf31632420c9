package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.stream.Limits;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;

/**
 * AES_256_CTR_HMAC_SHA256 as ocicrypt defines it: one 32-byte key for AES-256 and for HMAC-SHA256, the
 * 16-byte nonce as the whole initial counter block, HMAC over the ciphertext only.
 */
final class LayerCipher {
    private LayerCipher() {
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
     * Reads {@code in} to its end in fixed-size chunks, transforms each with {@code ctr} and hands both to
     * {@code consumer}. Fails as soon as more than {@code maxBytes} arrive. Returns the count.
     */
    static long pump(InputStream in, long maxBytes, String layer, AesCtr ctr, ChunkConsumer consumer) throws IOException {
        byte[] buf = new byte[Limits.COPY_BUFFER_BYTES];
        byte[] out = new byte[Limits.COPY_BUFFER_BYTES];
        long total = 0;
        int n;
        while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
            total = checkLength(total + n, maxBytes, layer);
            ctr.apply(buf, 0, out, 0, n);
            consumer.accept(buf, out, n);
        }
        return total;
    }

    static long checkLength(long total, long maxBytes, String layer) {
        if (total > maxBytes) {
            throw CloakException.integrity("layer " + layer + " is longer than the " + maxBytes
                    + " bytes its descriptor declares; nothing was kept");
        }
        return total;
    }
}
