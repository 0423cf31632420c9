package dev.cloak.ocicrypt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWEObjectJSON;
import com.nimbusds.jose.crypto.RSADecrypter;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.ocicrypt.keywrap.TestKeys;
import dev.cloak.stream.Limits;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static dev.cloak.ocicrypt.Layers.DECRYPTOR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerCipherRoundTripTest {
    private static final int MIB = 1 << 20;
    private static final HexFormat HEX = HexFormat.of();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sizes around the AES block (16) and around Cloak's copy buffer, where chunking bugs would show. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 16, 17, Limits.COPY_BUFFER_BYTES - 1, Limits.COPY_BUFFER_BYTES,
            Limits.COPY_BUFFER_BYTES + 1, MIB, 5 * MIB + 123})
    void roundTripRestoresPlaintextAndDescriptor(int size) throws IOException {
        byte[] plaintext = Layers.random(size, size);
        Layers.Encrypted layer = Layers.encrypt(plaintext, TestKeys.recipient(TestKeys.RSA_A));
        assertEquals(size, layer.ciphertext().length, "CTR adds no header, padding or trailer");
        if (size >= 16) {
            assertFalse(Arrays.equals(plaintext, layer.ciphertext()));
        }

        MemorySink sink = new MemorySink();
        VerifiedLayer proof = Layers.decrypt(layer.descriptor(), layer.ciphertext(), TestKeys.keyring(TestKeys.RSA_A), sink);

        sink.assertPublished();
        assertSame(proof, sink.committed());
        assertArrayEquals(plaintext, sink.published());
        Descriptor d = proof.decrypted();
        assertEquals(MediaTypes.OCI_LAYER_GZIP, d.mediaType());
        assertEquals(Digest.sha256Of(plaintext), d.digest());
        assertEquals(Digest.sha256Of(plaintext), proof.digest());
        assertEquals(size, d.size());
        assertEquals(size, proof.size());
        assertEquals(Layers.OTHER_ANNOTATIONS, d.annotations(), "enc.* removed, everything else kept");
        assertEquals(layer.descriptor(), proof.encrypted());
    }

    @ParameterizedTest
    @ValueSource(strings = {MediaTypes.OCI_LAYER_TAR, MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER_ZSTD,
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", MediaTypes.DOCKER_LAYER_GZIP})
    void decryptedMediaTypeDropsOnlyTheEncryptedSuffix(String mediaType) throws IOException {
        byte[] plaintext = "a tar, say".getBytes(StandardCharsets.UTF_8);
        Layers.Encrypted layer = Layers.encrypt(Layers.plainDescriptor(mediaType, plaintext), plaintext,
                List.of(TestKeys.recipient(TestKeys.EC_P256)));
        assertEquals(mediaType + "+encrypted", layer.descriptor().mediaType());

        VerifiedLayer proof = Layers.decrypt(layer.descriptor(), layer.ciphertext(), TestKeys.keyring(TestKeys.EC_P256),
                new MemorySink());
        assertEquals(mediaType, proof.decrypted().mediaType());
    }

    /** NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt): a known answer for Cloak's own CTR mode. */
    @Test
    void cloakCipherMatchesNistCtrVector() throws IOException {
        byte[] key = HEX.parseHex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        byte[] counter = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        byte[] plaintext = HEX.parseHex("6bc1bee22e409f96e93d7e117393172a" + "ae2d8a571e03ac9c9eb76fac45af8e51"
                + "30c81c46a35ce411e5fbc1191a0a52ef" + "f69f2445df4f9b17ad2b417be66c3710");
        byte[] expected = HEX.parseHex("601ec313775789a5b7a7f504bbf3d228" + "f443e3ca4d62b59aca84e990cacaf5c5"
                + "2b0930daa23de94ce87017ba2d84988d" + "dfc9c58db67aada613c2dd08457941a6");

        assertArrayEquals(expected, cloakCtr(key, counter, plaintext));
        assertArrayEquals(expected, Layers.bcCtr(key, counter, plaintext), "the reference implementation agrees");
    }

    /**
     * The counter is the whole 16-byte block incremented as one 128-bit big-endian number: a nonce ending in
     * twelve 0xff bytes must carry into byte 3, which a 32- or 64-bit counter would not do.
     */
    @Test
    void counterCarriesAcrossAll128Bits() throws IOException {
        byte[] key = fixedKey();
        byte[] nonce = HEX.parseHex("00010203ffffffffffffffffffffffff");
        byte[] plaintext = Layers.random(16 * 5 + 7, 42);

        byte[] cloak = cloakCtr(key, nonce, plaintext);
        assertArrayEquals(Layers.bcCtr(key, nonce, plaintext), cloak);
        assertArrayEquals(keystreamBlock(key, nonce, 1), xorBlock(cloak, plaintext, 1));
        assertArrayEquals(aes(key, HEX.parseHex("00010204000000000000000000000000")), xorBlock(cloak, plaintext, 1));
        assertArrayEquals(keystreamBlock(key, nonce, 4), xorBlock(cloak, plaintext, 4));
    }

    /** An all-ones nonce wraps to zero after one block, as Go's crypto/cipher CTR does. */
    @Test
    void counterWrapsModulo2To128() throws IOException {
        byte[] key = fixedKey();
        byte[] nonce = HEX.parseHex("ffffffffffffffffffffffffffffffff");
        byte[] plaintext = Layers.random(16 * 3, 7);

        byte[] cloak = cloakCtr(key, nonce, plaintext);
        assertArrayEquals(aes(key, nonce), xorBlock(cloak, plaintext, 0));
        assertArrayEquals(aes(key, new byte[16]), xorBlock(cloak, plaintext, 1));
        assertArrayEquals(keystreamBlock(key, nonce, 2), xorBlock(cloak, plaintext, 2));
    }

    /**
     * AesCtr feeds the cipher in 16 KiB slices; calls of any length, landing anywhere in a slice and
     * crossing its edges, must continue the one keystream. Counter starts just below a 64-bit carry.
     */
    @Test
    void keystreamContinuesAcrossArbitraryCallLengths() {
        byte[] key = fixedKey();
        byte[] nonce = HEX.parseHex("0000000000000001fffffffffffff000");
        byte[] plaintext = Layers.random(3 * 65536 + 1000, 17);
        byte[] expected = Layers.bcCtr(key, nonce, plaintext);

        AesCtr ctr = new AesCtr(key, nonce);
        byte[] out = new byte[plaintext.length];
        int[] lengths = {1, 15, 16, 17, 7, 65536, 65535, 3, 65537, 8, 1024};
        int off = 0;
        for (int i = 0; off < plaintext.length; i++) {
            int n = Math.min(lengths[i % lengths.length], plaintext.length - off);
            ctr.apply(plaintext, off, out, off, n);
            off += n;
        }
        assertArrayEquals(expected, out);
    }

    @Test
    void cloakHmacMatchesBouncyCastle() {
        byte[] key = fixedKey();
        byte[] data = Layers.random(1000, 3);
        assertArrayEquals(Layers.bcHmac(key, data), LayerCipher.hmac(key).doFinal(data));
    }

    /** A layer made without Cloak (Bouncy Castle cipher and HMAC, hand-written options, nimbus JWE). */
    @Test
    void decryptsLayerBuiltByAnIndependentImplementation() throws IOException {
        byte[] key = fixedKey();
        byte[] nonce = HEX.parseHex("0f0e0d0cffffffffffffffffffffffff");
        byte[] plaintext = Layers.random(16 * 64 + 9, 11);
        Layers.Encrypted layer = Layers.handmade(key, nonce, plaintext,
                Layers.privateJson(key, nonce, Digest.sha256Of(plaintext).toString()), TestKeys.RSA_A.getPublic());

        MemorySink sink = new MemorySink();
        VerifiedLayer proof = Layers.decrypt(layer.descriptor(), layer.ciphertext(), TestKeys.keyring(TestKeys.RSA_A), sink);

        sink.assertPublished();
        assertArrayEquals(plaintext, sink.published());
        assertEquals(Digest.sha256Of(plaintext), proof.digest());
        assertEquals(Layers.OTHER_ANNOTATIONS, proof.decrypted().annotations());
    }

    /** The options may name a sha512 plaintext digest; the decrypted descriptor then uses sha512 too. */
    @Test
    void honoursSha512PlaintextDigest() throws IOException {
        byte[] key = fixedKey();
        byte[] nonce = new byte[16];
        byte[] plaintext = Layers.random(100, 12);
        String sha512 = "sha512:" + HEX.formatHex(sha512(plaintext));
        Layers.Encrypted layer = Layers.handmade(key, nonce, plaintext, Layers.privateJson(key, nonce, sha512),
                TestKeys.RSA_A.getPublic());

        VerifiedLayer proof = Layers.decrypt(layer.descriptor(), layer.ciphertext(), TestKeys.keyring(TestKeys.RSA_A),
                new MemorySink());
        assertEquals(sha512, proof.digest().toString());
    }

    /** The plaintext digest is informative in ocicrypt; without it Cloak computes a sha256 one. */
    @Test
    void acceptsOptionsWithoutPlaintextDigest() throws IOException {
        byte[] key = fixedKey();
        byte[] nonce = new byte[16];
        byte[] plaintext = Layers.random(100, 13);
        for (String json : List.of(Layers.privateJson(key, nonce, null), Layers.privateJson(key, nonce, ""))) {
            Layers.Encrypted layer = Layers.handmade(key, nonce, plaintext, json, TestKeys.RSA_A.getPublic());
            MemorySink sink = new MemorySink();
            VerifiedLayer proof = Layers.decrypt(layer.descriptor(), layer.ciphertext(), TestKeys.keyring(TestKeys.RSA_A), sink);
            assertArrayEquals(plaintext, sink.published());
            assertEquals(Digest.sha256Of(plaintext), proof.digest());
        }
    }

    /**
     * The reverse direction: what LayerEncryptor writes is read back without Cloak. nimbus unwraps the JWE,
     * Jackson reads the options, Bouncy Castle decrypts and recomputes the HMAC.
     */
    @Test
    void encryptorOutputIsReadableByAnIndependentImplementation() throws Exception {
        byte[] plaintext = Layers.random(3 * 16 + 5, 21);
        Layers.Encrypted layer = Layers.encrypt(plaintext, TestKeys.recipient(TestKeys.RSA_A));
        Map<String, String> annotations = layer.descriptor().annotations();

        JWEObjectJSON jwe = JWEObjectJSON.parse(new String(Layers.unb64(annotations.get(Layers.JWE)), StandardCharsets.UTF_8));
        jwe.decrypt(new RSADecrypter(TestKeys.RSA_A.getPrivate()));
        JsonNode priv = JSON.readTree(jwe.getPayload().toBytes());
        JsonNode pub = JSON.readTree(Layers.unb64(annotations.get(EncryptionAnnotations.PUBOPTS)));

        byte[] key = Layers.unb64(priv.get("symkey").asText());
        byte[] nonce = Layers.unb64(priv.get("cipheroptions").get("nonce").asText());
        assertEquals(32, key.length);
        assertEquals(16, nonce.length);
        assertEquals(Digest.sha256Of(plaintext).toString(), priv.get("digest").asText());
        assertEquals(List.of("nonce"), fieldNames(priv.get("cipheroptions")));
        assertEquals("AES_256_CTR_HMAC_SHA256", pub.get("cipher").asText());
        assertTrue(pub.get("cipheroptions").isObject() && pub.get("cipheroptions").isEmpty());
        assertArrayEquals(plaintext, Layers.bcCtr(key, nonce, layer.ciphertext()));
        assertArrayEquals(Layers.bcHmac(key, layer.ciphertext()), Layers.unb64(pub.get("hmac").asText()));
    }

    /** A fresh key and nonce per layer: two encryptions of the same bytes share nothing. */
    @Test
    void everyEncryptionUsesAFreshKeyAndNonce() throws IOException {
        byte[] plaintext = Layers.random(64, 5);
        Layers.Encrypted a = Layers.encrypt(plaintext, TestKeys.recipient(TestKeys.RSA_A));
        Layers.Encrypted b = Layers.encrypt(plaintext, TestKeys.recipient(TestKeys.RSA_A));
        assertFalse(Arrays.equals(a.ciphertext(), b.ciphertext()));
        assertNotEquals(a.descriptor().annotations().get(EncryptionAnnotations.PUBOPTS),
                b.descriptor().annotations().get(EncryptionAnnotations.PUBOPTS));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static byte[] fixedKey() {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) i;
        }
        return key;
    }

    /** Cloak's own cipher, driven the way LayerEncryptor drives it. */
    private static byte[] cloakCtr(byte[] key, byte[] nonce, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LayerCipher.pump(new ByteArrayInputStream(data), Long.MAX_VALUE, "test", new AesCtr(key, nonce),
                (in, o, n) -> out.write(o, 0, n));
        return out.toByteArray();
    }

    /** AES(key, nonce + block) with the addition done on a BigInteger mod 2^128: the CTR definition itself. */
    private static byte[] keystreamBlock(byte[] key, byte[] nonce, int block) {
        BigInteger counter = new BigInteger(1, nonce).add(BigInteger.valueOf(block)).mod(BigInteger.ONE.shiftLeft(128));
        byte[] raw = counter.toByteArray();
        byte[] block16 = new byte[16];
        int n = Math.min(raw.length, 16);
        System.arraycopy(raw, raw.length - n, block16, 16 - n, n);
        return aes(key, block16);
    }

    private static byte[] aes(byte[] key, byte[] block) {
        org.bouncycastle.crypto.BlockCipher engine = AESEngine.newInstance();
        engine.init(true, new KeyParameter(key));
        byte[] out = new byte[16];
        engine.processBlock(block, 0, out, 0);
        return out;
    }

    private static byte[] xorBlock(byte[] ciphertext, byte[] plaintext, int block) {
        byte[] out = new byte[16];
        for (int i = 0; i < 16; i++) {
            out[i] = (byte) (ciphertext[block * 16 + i] ^ plaintext[block * 16 + i]);
        }
        return out;
    }

    private static byte[] sha512(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-512").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
