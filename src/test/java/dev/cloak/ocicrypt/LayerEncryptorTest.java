package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.ocicrypt.keywrap.TestKeys;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.cloak.ocicrypt.Layers.DECRYPTOR;
import static dev.cloak.ocicrypt.Layers.ENCRYPTOR;
import static dev.cloak.ocicrypt.Layers.JWE;
import static dev.cloak.ocicrypt.Layers.assertFailure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerEncryptorTest {
    private static final byte[] PLAINTEXT = Layers.random(70_000, 70);

    @Test
    void annotationsAreOneJweEntryPlusPuboptsOnTopOfTheOthers() throws IOException {
        Map<String, String> base = new LinkedHashMap<>(Layers.OTHER_ANNOTATIONS);
        base.put(EncryptionAnnotations.KEYS_PREFIX + "pgp", "c3RhbGU=");
        base.put(EncryptionAnnotations.PUBOPTS, "c3RhbGU=");
        Descriptor plain = Layers.plainDescriptor(MediaTypes.OCI_LAYER_GZIP, PLAINTEXT).withAnnotations(base);

        Layers.Encrypted layer = Layers.encrypt(plain, PLAINTEXT,
                List.of(TestKeys.recipient(TestKeys.RSA_A), TestKeys.recipient(TestKeys.EC_P256)));

        Map<String, String> a = layer.descriptor().annotations();
        Map<String, String> expectedOthers = new LinkedHashMap<>(Layers.OTHER_ANNOTATIONS);
        a.forEach((k, v) -> {
            if (!k.startsWith(EncryptionAnnotations.PREFIX)) {
                assertEquals(expectedOthers.remove(k), v, k);
            }
        });
        assertTrue(expectedOthers.isEmpty(), "lost: " + expectedOthers);
        assertEquals(List.of(JWE, EncryptionAnnotations.PUBOPTS), a.keySet().stream()
                .filter(k -> k.startsWith(EncryptionAnnotations.PREFIX)).toList(), "stale enc.* from the source dropped");
        assertFalse(a.get(JWE).contains(","), "all recipients of one encryption share one JWE");
        assertFalse(a.get(EncryptionAnnotations.PUBOPTS).equals("c3RhbGU="));

        for (var pair : List.of(TestKeys.RSA_A, TestKeys.EC_P256)) {
            MemorySink sink = new MemorySink();
            Layers.decrypt(layer.descriptor(), layer.ciphertext(), TestKeys.keyring(pair), sink);
            assertArrayEquals(PLAINTEXT, sink.published());
        }
    }

    @Test
    void noRecipientsIsInvalidInput() {
        Descriptor plain = Layers.plainDescriptor(MediaTypes.OCI_LAYER_GZIP, PLAINTEXT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT,
                () -> ENCRYPTOR.encrypt(plain, new ByteArrayInputStream(PLAINTEXT), List.of(), out));
        assertTrue(e.getMessage().contains(plain.digest().toString()), e.getMessage());
        assertEquals(0, out.size(), "nothing encrypted without a recipient");
    }

    /** The source blob must be what its descriptor says, or Cloak would encrypt (and vouch for) other bytes. */
    @Test
    void sourceNotMatchingItsDescriptorIsIntegrityFailure() {
        Descriptor plain = Layers.plainDescriptor(MediaTypes.OCI_LAYER_GZIP, PLAINTEXT);
        byte[] altered = PLAINTEXT.clone();
        altered[123] ^= 1;
        List<Descriptor> liars = List.of(
                plain.withContent(plain.mediaType(), Digest.sha256Of(altered), plain.size()),
                plain.withContent(plain.mediaType(), plain.digest(), plain.size() - 1),
                plain.withContent(plain.mediaType(), plain.digest(), plain.size() + 1));
        for (Descriptor d : liars) {
            CloakException e = assertFailure(ErrorKind.INTEGRITY, () -> ENCRYPTOR.encrypt(d,
                    new ByteArrayInputStream(PLAINTEXT), List.of(TestKeys.recipient(TestKeys.RSA_A)), new ByteArrayOutputStream()));
            assertTrue(e.getMessage().contains(d.digest().toString()), e.getMessage());
        }
    }

    /** Re-wrapping adds a recipient without touching the data: same blob, same digest, both keys work. */
    @Test
    void addRecipientsRewrapsWithoutTouchingTheData() throws IOException {
        Layers.Encrypted forA = Layers.encrypt(PLAINTEXT, TestKeys.recipient(TestKeys.RSA_A));
        Descriptor forAandB = ENCRYPTOR.addRecipients(forA.descriptor(), TestKeys.keyring(TestKeys.RSA_A),
                List.of(TestKeys.recipient(TestKeys.EC_P384)), DECRYPTOR);

        assertEquals(forA.descriptor().digest(), forAandB.digest());
        assertEquals(forA.descriptor().size(), forAandB.size());
        assertEquals(forA.descriptor().mediaType(), forAandB.mediaType());
        assertEquals(forA.descriptor().annotations().get(EncryptionAnnotations.PUBOPTS),
                forAandB.annotations().get(EncryptionAnnotations.PUBOPTS));
        String[] entries = forAandB.annotations().get(JWE).split(",");
        assertEquals(2, entries.length);
        assertEquals(forA.descriptor().annotations().get(JWE), entries[0], "the existing entry is kept as it was");
        for (String k : Layers.OTHER_ANNOTATIONS.keySet()) {
            assertEquals(Layers.OTHER_ANNOTATIONS.get(k), forAandB.annotations().get(k));
        }

        MemorySink onlyB = new MemorySink();
        VerifiedLayer proof = Layers.decrypt(forAandB, forA.ciphertext(), TestKeys.keyring(TestKeys.EC_P384), onlyB);
        assertArrayEquals(PLAINTEXT, onlyB.published());
        assertEquals(Digest.sha256Of(PLAINTEXT), proof.digest());

        MemorySink onlyA = new MemorySink();
        Layers.decrypt(forAandB, forA.ciphertext(), TestKeys.keyring(TestKeys.RSA_A), onlyA);
        assertArrayEquals(PLAINTEXT, onlyA.published());

        assertFailure(ErrorKind.NO_KEY, () -> DECRYPTOR.unwrap(forA.descriptor(), TestKeys.keyring(TestKeys.EC_P384)));
    }

    @Test
    void addRecipientsWithoutAUsableKeyIsNoKey() throws IOException {
        Layers.Encrypted forA = Layers.encrypt(PLAINTEXT, TestKeys.recipient(TestKeys.RSA_A));
        CloakException e = assertFailure(ErrorKind.NO_KEY, () -> ENCRYPTOR.addRecipients(forA.descriptor(),
                TestKeys.keyring(TestKeys.RSA_OTHER, TestKeys.EC_OTHER), List.of(TestKeys.recipient(TestKeys.RSA_B)), DECRYPTOR));
        assertTrue(e.getMessage().contains(LayerDecryptor.MISSING_KEY), e.getMessage());
        assertTrue(e.getMessage().contains(forA.name()), e.getMessage());
    }

    /** Adding twice keeps every earlier entry: each added recipient decrypts alone. */
    @Test
    void addRecipientsTwiceKeepsEveryEntry() throws IOException {
        Layers.Encrypted forA = Layers.encrypt(PLAINTEXT, TestKeys.recipient(TestKeys.RSA_A));
        Descriptor plusB = ENCRYPTOR.addRecipients(forA.descriptor(), TestKeys.keyring(TestKeys.RSA_A),
                List.of(TestKeys.recipient(TestKeys.RSA_B)), DECRYPTOR);
        Descriptor plusC = ENCRYPTOR.addRecipients(plusB, TestKeys.keyring(TestKeys.RSA_B),
                List.of(TestKeys.recipient(TestKeys.EC_P256)), DECRYPTOR);
        assertEquals(3, plusC.annotations().get(JWE).split(",").length);
        for (var pair : List.of(TestKeys.RSA_A, TestKeys.RSA_B, TestKeys.EC_P256)) {
            MemorySink sink = new MemorySink();
            Layers.decrypt(plusC, forA.ciphertext(), TestKeys.keyring(pair), sink);
            assertArrayEquals(PLAINTEXT, sink.published());
        }
    }

    @Test
    void keyWrappersKnowEveryBuiltInScheme() {
        for (String scheme : List.of("jwe", "pkcs7", "pgp", "pkcs11")) {
            assertEquals(scheme, Layers.WRAPPERS.require(scheme).scheme());
        }
        assertEquals(null, Layers.WRAPPERS.find("tpm2"));
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT, () -> Layers.WRAPPERS.require("tpm2"));
        assertTrue(e.getMessage().contains("tpm2") && e.getMessage().contains("jwe, pkcs7, pgp, pkcs11"), e.getMessage());
    }

    @Test
    void encryptionAnnotationsReadCommaSeparatedPaddedBase64() {
        String one = Layers.b64("first entry");
        String two = Layers.b64("second");
        Descriptor d = Descriptor.of(MediaTypes.OCI_LAYER_GZIP + "+encrypted",
                Digest.sha256Of("x".getBytes(StandardCharsets.UTF_8)), 1).withAnnotations(Map.of(
                JWE, one + ", " + two + ",",
                EncryptionAnnotations.PUBOPTS, Layers.b64("{}")));
        EncryptionAnnotations a = EncryptionAnnotations.of(d);
        assertEquals(List.of("jwe"), List.copyOf(a.wrappedKeys().keySet()));
        assertEquals(List.of("first entry", "second"), a.wrappedKeys().get("jwe").stream()
                .map(EncryptionAnnotations::text).toList());
        assertEquals("{}", EncryptionAnnotations.text(a.publicOptions()));

        Map<String, String> written = a.plus("pkcs7", "third".getBytes(StandardCharsets.UTF_8))
                .applyTo(Map.of("keep", "me", EncryptionAnnotations.KEYS_PREFIX + "pgp", "stale"));
        assertEquals(Map.of("keep", "me", JWE, one + "," + two,
                EncryptionAnnotations.KEYS_PREFIX + "pkcs7", Layers.b64("third"),
                EncryptionAnnotations.PUBOPTS, Layers.b64("{}")), written);
    }

    /** A wrapped-key annotation is a few KiB; a huge one is refused before it is decoded. */
    @Test
    void oversizedKeyAnnotationIsInvalidInput() {
        Descriptor d = Descriptor.of(MediaTypes.OCI_LAYER_GZIP + "+encrypted",
                Digest.sha256Of("x".getBytes(StandardCharsets.UTF_8)), 1).withAnnotations(Map.of(
                JWE, "A".repeat(dev.cloak.stream.Limits.MAX_WRAPPED_KEY_BYTES + 4),
                EncryptionAnnotations.PUBOPTS, Layers.b64("{}")));
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT, () -> EncryptionAnnotations.of(d));
        assertTrue(e.getMessage().contains(d.digest().toString()), e.getMessage());
    }
}
