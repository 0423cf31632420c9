package dev.cloak.ocicrypt;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** What it buys is speed, measured by bench/; here only that it runs the very ciphers the layers use. */
class CipherWarmupTest {
    @Test
    void warmsUpWithTheSameCiphersAsTheLayerPath() {
        assertTrue(CipherWarmup.run(), "AES-256-CTR, HMAC-SHA256 and SHA-256 all ran");
    }
}
