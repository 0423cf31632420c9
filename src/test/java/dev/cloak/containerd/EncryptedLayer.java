package dev.cloak.containerd;

import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.ocicrypt.KeyWrappers;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.LayerEncryptor;
import dev.cloak.ocicrypt.LayerKey;
import dev.cloak.ocicrypt.keywrap.TestKeys;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A layer of random bytes encrypted for a test node key, and what it decrypts to. */
record EncryptedLayer(byte[] plain, Digest plainDigest, Descriptor encrypted, byte[] ciphertext) {
    private static final KeyPair NODE = TestKeys.EC_P256;
    private static final KeyWrappers WRAPPERS = KeyWrappers.standard();

    /** {@code size} bytes from {@code seed}: the same seed gives the same plaintext, encrypted afresh. */
    static EncryptedLayer encrypt(int size, long seed) throws IOException {
        byte[] plain = new byte[size];
        new Random(seed).nextBytes(plain);
        Descriptor plainLayer = Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.sha256Of(plain), plain.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, String> annotations = new LayerEncryptor(WRAPPERS).encrypt(plainLayer, new ByteArrayInputStream(plain),
                List.of(TestKeys.recipient(NODE)), out);
        byte[] ciphertext = out.toByteArray();
        Descriptor encrypted = Descriptor.of(MediaTypes.encrypted(MediaTypes.OCI_LAYER_TAR), Digest.sha256Of(ciphertext),
                ciphertext.length).withAnnotations(annotations);
        return new EncryptedLayer(plain, plainLayer.digest(), encrypted, ciphertext);
    }

    /** Decrypts {@code ciphertextStream} (this layer's bytes, or altered ones) with the node key into {@code content}. */
    Void decryptInto(ContentStore content, InputStream ciphertextStream) throws IOException {
        LayerDecryptor decryptor = new LayerDecryptor(WRAPPERS);
        try (LayerKey key = decryptor.unwrap(encrypted, TestKeys.keyring(NODE))) {
            decryptor.decrypt(key, ciphertextStream, content.decryptedLayerSink(encrypted.digest(), encrypted.size()));
        }
        return null;
    }
}
