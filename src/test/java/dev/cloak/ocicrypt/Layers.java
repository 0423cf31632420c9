package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.ocicrypt.keywrap.Recipient;
import dev.cloak.ocicrypt.keywrap.TestKeys;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.modes.SICBlockCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.junit.jupiter.api.function.Executable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Builds encrypted layers for the tests, with Cloak and, independently of Cloak, with Bouncy Castle and nimbus. */
final class Layers {
    static final KeyWrappers WRAPPERS = KeyWrappers.standard();
    static final LayerEncryptor ENCRYPTOR = new LayerEncryptor(WRAPPERS);
    static final LayerDecryptor DECRYPTOR = new LayerDecryptor(WRAPPERS);
    static final String JWE = EncryptionAnnotations.KEYS_PREFIX + "jwe";
    /** Annotations that are not ocicrypt's and must survive encryption and decryption. */
    static final Map<String, String> OTHER_ANNOTATIONS = Map.of(
            "org.opencontainers.image.title", "layer.tar.gz",
            "org.opencontainers.image.encoding-note", "kept: only the enc. prefix is ocicrypt's");

    record Encrypted(Descriptor plain, Descriptor descriptor, byte[] ciphertext) {
        String name() {
            return descriptor.digest().toString();
        }
    }

    private Layers() {
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Descriptor plainDescriptor(String mediaType, byte[] content) {
        return Descriptor.of(mediaType, Digest.sha256Of(content), content.length).withAnnotations(OTHER_ANNOTATIONS);
    }

    static Encrypted encrypt(byte[] plaintext, Recipient... recipients) throws IOException {
        return encrypt(plainDescriptor(MediaTypes.OCI_LAYER_GZIP, plaintext), plaintext, List.of(recipients));
    }

    /** What a caller of {@link LayerEncryptor} does: encrypt, then describe the ciphertext. */
    static Encrypted encrypt(Descriptor plain, byte[] plaintext, List<Recipient> recipients) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, String> annotations = ENCRYPTOR.encrypt(plain, new ByteArrayInputStream(plaintext), recipients, out);
        byte[] ciphertext = out.toByteArray();
        Descriptor encrypted = Descriptor.of(MediaTypes.encrypted(plain.mediaType()), Digest.sha256Of(ciphertext),
                ciphertext.length).withAnnotations(annotations);
        return new Encrypted(plain, encrypted, ciphertext);
    }

    /** Unwrap and decrypt, as a pull does. */
    static VerifiedLayer decrypt(Descriptor layer, byte[] ciphertext, Keyring keyring, MemorySink sink) throws IOException {
        try (LayerKey key = DECRYPTOR.unwrap(layer, keyring)) {
            return DECRYPTOR.decrypt(key, new ByteArrayInputStream(ciphertext), sink);
        }
    }

    /** A copy of {@code layer} with one annotation replaced, or removed when {@code value} is null. */
    static Descriptor withAnnotation(Descriptor layer, String key, String value) {
        Map<String, String> a = new LinkedHashMap<>(layer.annotations());
        if (value == null) {
            a.remove(key);
        } else {
            a.put(key, value);
        }
        return layer.withAnnotations(a);
    }

    static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    static String b64(String text) {
        return b64(text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] unb64(String text) {
        return Base64.getDecoder().decode(text);
    }

    // ---- An independent implementation of the cipher: Bouncy Castle's low-level engines, no JCA. ----

    static byte[] bcCtr(byte[] key, byte[] nonce, byte[] data) {
        org.bouncycastle.crypto.modes.CTRModeCipher ctr = SICBlockCipher.newInstance(AESEngine.newInstance());
        ctr.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] out = new byte[data.length];
        ctr.processBytes(data, 0, data.length, out, 0);
        return out;
    }

    static byte[] bcHmac(byte[] key, byte[] data) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(key));
        mac.update(data, 0, data.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return out;
    }

    /** Private options written by hand in ocicrypt's shape; {@code digest} null leaves the field out. */
    static String privateJson(byte[] key, byte[] nonce, String digest) {
        return "{\"symkey\":\"" + b64(key) + "\""
                + (digest == null ? "" : ",\"digest\":\"" + digest + "\"")
                + ",\"cipheroptions\":{\"nonce\":\"" + b64(nonce) + "\"}}";
    }

    static String publicJson(byte[] hmac) {
        return "{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"hmac\":\"" + b64(hmac) + "\",\"cipheroptions\":{}}";
    }

    /**
     * A layer encrypted without Cloak: Bouncy Castle computes the ciphertext and HMAC, the options JSON is
     * written by hand, nimbus wraps {@code privateJson} (which may be deliberately bad) for {@code recipient}.
     */
    static Encrypted handmade(byte[] key, byte[] nonce, byte[] plaintext, String privateJson, PublicKey recipient) {
        byte[] ciphertext = bcCtr(key, nonce, plaintext);
        Map<String, String> annotations = new LinkedHashMap<>(OTHER_ANNOTATIONS);
        annotations.put(JWE, b64(TestKeys.nimbusFlattened(recipient, privateJson.getBytes(StandardCharsets.UTF_8))));
        annotations.put(EncryptionAnnotations.PUBOPTS, b64(publicJson(bcHmac(key, ciphertext))));
        Descriptor plain = plainDescriptor(MediaTypes.OCI_LAYER_GZIP, plaintext);
        Descriptor encrypted = Descriptor.of(MediaTypes.encrypted(plain.mediaType()), Digest.sha256Of(ciphertext),
                ciphertext.length).withAnnotations(annotations);
        return new Encrypted(plain, encrypted, ciphertext);
    }

    /** Asserts a CloakException of {@code kind} whose message is one operator-readable line. */
    static CloakException assertFailure(ErrorKind kind, Executable action) {
        CloakException e = assertThrows(CloakException.class, action);
        assertEquals(kind, e.kind(), e.getMessage());
        assertOneLine(e.getMessage());
        return e;
    }

    static void assertOneLine(String message) {
        assertFalse(message == null || message.isBlank(), "an error needs a message");
        assertFalse(message.contains("\n") || message.contains("\r"), "message must be one line: " + message);
        assertFalse(message.contains("Exception"), "message must not leak an exception: " + message);
    }

    static void assertNamesLayer(CloakException e, Encrypted layer) {
        assertTrue(e.getMessage().contains(layer.name()), "message must name the layer: " + e.getMessage());
    }
}
