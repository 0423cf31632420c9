package dev.cloak.ocicrypt;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.ocicrypt.keywrap.TestKeys;
import dev.cloak.stream.Limits;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static dev.cloak.ocicrypt.Layers.DECRYPTOR;
import static dev.cloak.ocicrypt.Layers.JWE;
import static dev.cloak.ocicrypt.Layers.assertFailure;
import static dev.cloak.ocicrypt.Layers.assertNamesLayer;
import static dev.cloak.ocicrypt.Layers.b64;
import static dev.cloak.ocicrypt.EncryptionAnnotations.PUBOPTS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerDecryptorTest {
    /** Spans three copy chunks, so tampering lands in the first, the middle and the last one. */
    private static final int SIZE = 2 * Limits.COPY_BUFFER_BYTES + 333;
    private static final Keyring KEYS = TestKeys.keyring(TestKeys.RSA_A);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static byte[] plaintext;
    private static Layers.Encrypted layer;

    @BeforeAll
    static void encryptOnce() throws IOException {
        plaintext = Layers.random(SIZE, 99);
        layer = Layers.encrypt(plaintext, TestKeys.recipient(TestKeys.RSA_A));
    }

    // ---- Tampered data: INTEGRITY, staging discarded, nothing published. ----

    static Stream<Arguments> tamperedCiphertexts() {
        return Stream.of(
                Arguments.of("first byte flipped", (UnaryOperator<byte[]>) c -> flip(c, 0)),
                Arguments.of("middle byte flipped", (UnaryOperator<byte[]>) c -> flip(c, c.length / 2)),
                Arguments.of("last byte flipped", (UnaryOperator<byte[]>) c -> flip(c, c.length - 1)),
                Arguments.of("one byte short", (UnaryOperator<byte[]>) c -> Arrays.copyOf(c, c.length - 1)),
                Arguments.of("half missing", (UnaryOperator<byte[]>) c -> Arrays.copyOf(c, c.length / 2)),
                Arguments.of("empty", (UnaryOperator<byte[]>) c -> new byte[0]),
                Arguments.of("one trailing byte", (UnaryOperator<byte[]>) c -> Arrays.copyOf(c, c.length + 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tamperedCiphertexts")
    void tamperedCiphertextIsRejectedAndNothingPublished(String what, UnaryOperator<byte[]> tamper) {
        byte[] bad = tamper.apply(layer.ciphertext().clone());
        MemorySink sink = new MemorySink();
        CloakException e = assertFailure(ErrorKind.INTEGRITY, () -> Layers.decrypt(layer.descriptor(), bad, KEYS, sink));
        assertNamesLayer(e, layer);
        sink.assertDiscarded();
        assertNoHashingThreadLeft();
    }

    /**
     * Someone who can rewrite the manifest can also make the descriptor digest match altered bytes; only
     * the HMAC (keyed with the layer key) catches that.
     */
    @Test
    void alteredCiphertextWithMatchingDescriptorDigestFailsTheHmac() {
        byte[] bad = flip(layer.ciphertext().clone(), SIZE / 3);
        Descriptor rewritten = layer.descriptor().withContent(layer.descriptor().mediaType(), Digest.sha256Of(bad), bad.length);
        MemorySink sink = new MemorySink();
        CloakException e = assertFailure(ErrorKind.INTEGRITY, () -> Layers.decrypt(rewritten, bad, KEYS, sink));
        assertTrue(e.getMessage().contains("HMAC"), e.getMessage());
        sink.assertDiscarded();
    }

    @Test
    void changedHmacInPuboptsIsRejected() throws IOException {
        ObjectNode pub = (ObjectNode) JSON.readTree(Layers.unb64(layer.descriptor().annotations().get(PUBOPTS)));
        byte[] hmac = Layers.unb64(pub.get("hmac").asText());
        hmac[7] ^= 1;
        pub.put("hmac", b64(hmac));
        Descriptor bad = Layers.withAnnotation(layer.descriptor(), PUBOPTS, b64(JSON.writeValueAsBytes(pub)));
        MemorySink sink = new MemorySink();
        CloakException e = assertFailure(ErrorKind.INTEGRITY, () -> Layers.decrypt(bad, layer.ciphertext(), KEYS, sink));
        assertTrue(e.getMessage().contains("HMAC"), e.getMessage());
        sink.assertDiscarded();
    }

    @Test
    void descriptorDigestNotMatchingCiphertextIsRejected() {
        Descriptor wrongDigest = layer.descriptor().withContent(layer.descriptor().mediaType(),
                Digest.sha256Of("some other blob".getBytes(StandardCharsets.UTF_8)), layer.descriptor().size());
        MemorySink sink = new MemorySink();
        CloakException e = assertFailure(ErrorKind.INTEGRITY,
                () -> Layers.decrypt(wrongDigest, layer.ciphertext(), KEYS, sink));
        assertTrue(e.getMessage().contains(wrongDigest.digest().toString()), e.getMessage());
        sink.assertDiscarded();
    }

    /** Correct key, ciphertext and HMAC, but the options promise a different plaintext. */
    @Test
    void wrongPlaintextDigestInPrivateOptionsIsRejected() {
        byte[] key = Layers.random(32, 1);
        byte[] nonce = Layers.random(16, 2);
        byte[] data = Layers.random(5000, 3);
        String promised = Digest.sha256Of("not this layer".getBytes(StandardCharsets.UTF_8)).toString();
        Layers.Encrypted bad = Layers.handmade(key, nonce, data, Layers.privateJson(key, nonce, promised),
                TestKeys.RSA_A.getPublic());
        MemorySink sink = new MemorySink();
        CloakException e = assertFailure(ErrorKind.INTEGRITY, () -> Layers.decrypt(bad.descriptor(), bad.ciphertext(), KEYS, sink));
        assertTrue(e.getMessage().contains(promised), e.getMessage());
        sink.assertDiscarded();
    }

    @Test
    void readFailureMidwayPublishesNothing() {
        InputStream failing = new SequenceInputStream(
                new ByteArrayInputStream(layer.ciphertext(), 0, SIZE / 2 + 1),
                new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("connection reset by registry");
                    }
                });
        MemorySink sink = new MemorySink();
        IOException e = assertThrows(IOException.class, () -> {
            try (LayerKey key = DECRYPTOR.unwrap(layer.descriptor(), KEYS)) {
                DECRYPTOR.decrypt(key, failing, sink);
            }
        });
        assertEquals("connection reset by registry", e.getMessage());
        sink.assertDiscarded();
        assertNoHashingThreadLeft();
    }

    @Test
    void sinkWriteFailurePublishesNothing() {
        MemorySink sink = new MemorySink();
        PlaintextSink failingSink = () -> {
            PlaintextSink.Staging inner = sink.begin();
            return new PlaintextSink.Staging() {
                @Override
                public java.io.OutputStream out() {
                    return new java.io.OutputStream() {
                        @Override
                        public void write(int b) throws IOException {
                            throw new IOException("disk full");
                        }
                    };
                }

                @Override
                public void commit(VerifiedLayer proof) throws IOException {
                    inner.commit(proof);
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        };
        assertThrows(IOException.class, () -> {
            try (LayerKey key = DECRYPTOR.unwrap(layer.descriptor(), KEYS)) {
                DECRYPTOR.decrypt(key, new ByteArrayInputStream(layer.ciphertext()), failingSink);
            }
        });
        sink.assertDiscarded();
        assertNoHashingThreadLeft();
    }

    /**
     * skopeo records the digest of the layer as it received it, which for a layer it compressed on the way is
     * the uncompressed diff_id; that digest is accepted when the caller passes the same diff_id.
     */
    @Test
    void optionsDigestEqualToTheDiffIdIsAccepted() {
        byte[] key = Layers.random(32, 1);
        byte[] nonce = Layers.random(16, 2);
        byte[] data = Layers.random(5000, 3);
        Digest diffId = Digest.sha256Of("the uncompressed tar".getBytes(StandardCharsets.UTF_8));
        Layers.Encrypted compressedOnTheWay = Layers.handmade(key, nonce, data,
                Layers.privateJson(key, nonce, diffId.toString()), TestKeys.RSA_A.getPublic());

        MemorySink sink = new MemorySink();
        VerifiedLayer proof = assertDoesNotThrow(() -> {
            try (LayerKey k = DECRYPTOR.unwrap(compressedOnTheWay.descriptor(), KEYS)) {
                return DECRYPTOR.decrypt(k, diffId, new ByteArrayInputStream(compressedOnTheWay.ciphertext()), sink);
            }
        });
        sink.assertPublished();
        assertArrayEquals(data, sink.published());
        assertEquals(Digest.sha256Of(data), proof.digest(), "the descriptor names what was actually decrypted");

        MemorySink other = new MemorySink();
        Digest unrelated = Digest.sha256Of("another layer's diff_id".getBytes(StandardCharsets.UTF_8));
        assertFailure(ErrorKind.INTEGRITY, () -> {
            try (LayerKey k = DECRYPTOR.unwrap(compressedOnTheWay.descriptor(), KEYS)) {
                DECRYPTOR.decrypt(k, unrelated, new ByteArrayInputStream(compressedOnTheWay.ciphertext()), other);
            }
        });
        other.assertDiscarded();
    }

    /** The ciphertext is hashed on a helper thread; a failed decryption must not leave it running. */
    private static void assertNoHashingThreadLeft() {
        List<String> alive = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("cloak-hash")).map(Thread::toString).toList();
        assertEquals(List.of(), alive);
    }

    /** The untampered layer, for contrast with the cases above. */
    @Test
    void committedProofIsTheReturnedOne() throws IOException {
        MemorySink sink = new MemorySink();
        VerifiedLayer proof = Layers.decrypt(layer.descriptor(), layer.ciphertext(), KEYS, sink);
        assertSame(proof, sink.committed());
        assertArrayEquals(plaintext, sink.published());
        assertEquals(List.of(), proof.decrypted().annotations().keySet().stream()
                .filter(k -> k.startsWith(EncryptionAnnotations.PREFIX)).toList());
    }

    // ---- Wrong or missing keys: NO_KEY, before any byte is read. ----

    @Test
    void unrelatedKeysGiveNoKeyNamingLayerAndRecipients() {
        Keyring unrelated = TestKeys.keyring(TestKeys.RSA_OTHER, TestKeys.EC_OTHER);
        MemorySink sink = new MemorySink();
        CloakException e = assertFailure(ErrorKind.NO_KEY,
                () -> Layers.decrypt(layer.descriptor(), layer.ciphertext(), unrelated, sink));
        assertTrue(e.getMessage().contains(LayerDecryptor.MISSING_KEY), e.getMessage());
        assertTrue(e.getMessage().contains("missing private key needed for decryption"), e.getMessage());
        assertNamesLayer(e, layer);
        assertTrue(e.getMessage().contains("RSA-OAEP"), e.getMessage());
        assertTrue(e.getMessage().contains("the test keyring"), "says where the keys came from: " + e.getMessage());
        sink.assertUntouched();
    }

    @Test
    void emptyKeyringGivesNoKey() {
        CloakException e = assertFailure(ErrorKind.NO_KEY, () -> DECRYPTOR.unwrap(layer.descriptor(), Keyring.empty("/etc/crio/keys")));
        assertTrue(e.getMessage().startsWith(LayerDecryptor.MISSING_KEY), e.getMessage());
        assertNamesLayer(e, layer);
        assertTrue(e.getMessage().contains("/etc/crio/keys"), e.getMessage());
    }

    /** A key of the right type on the wrong curve must be skipped, not crash the unwrap. */
    @Test
    void ecLayerWithKeyOnOtherCurveGivesNoKeyNamingTheCurve() throws IOException {
        Layers.Encrypted ec = Layers.encrypt(plaintext(100), TestKeys.recipient(TestKeys.EC_P256));
        CloakException e = assertFailure(ErrorKind.NO_KEY,
                () -> DECRYPTOR.unwrap(ec.descriptor(), TestKeys.keyring(TestKeys.EC_P384, TestKeys.RSA_A, TestKeys.EC_OTHER)));
        assertTrue(e.getMessage().contains("ECDH-ES+A256KW EC P-256"), e.getMessage());
    }

    @Test
    void onlyUnsupportedSchemesGiveNoKeyNamingTheScheme() {
        Descriptor tpmOnly = Layers.withAnnotation(
                Layers.withAnnotation(layer.descriptor(), JWE, null),
                EncryptionAnnotations.KEYS_PREFIX + "tpm2", b64("{\"version\":0,\"recipients\":[]}"));
        CloakException e = assertFailure(ErrorKind.NO_KEY, () -> DECRYPTOR.unwrap(tpmOnly, KEYS));
        assertTrue(e.getMessage().contains("tpm2 (1 entry, a scheme Cloak cannot unwrap yet)"), e.getMessage());
    }

    /** A scheme Cloak speaks but whose only entry is garbage is a broken image, not a missing key. */
    @Test
    void onlyAMalformedPkcs7EntryIsInvalidInput() {
        Descriptor pkcs7Only = Layers.withAnnotation(
                Layers.withAnnotation(layer.descriptor(), JWE, null),
                EncryptionAnnotations.KEYS_PREFIX + "pkcs7", b64("opaque CMS bytes"));
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT, () -> DECRYPTOR.unwrap(pkcs7Only, KEYS));
        assertNamesLayer(e, layer);
        assertTrue(e.getMessage().contains("PKCS7"), e.getMessage());
    }

    /**
     * Every scheme and every comma-separated entry is tried; the first that unwraps wins. Unsupported schemes
     * (here tpm2) and malformed entries of supported ones (here pgp) are passed over.
     */
    @Test
    void triesEveryEntryAndSkipsUnsupportedSchemes() throws IOException {
        byte[] optionsForSomeoneElse = "{}".getBytes(StandardCharsets.UTF_8);
        String foreign = b64(TestKeys.nimbusFlattened(TestKeys.RSA_OTHER.getPublic(), optionsForSomeoneElse));
        Descriptor several = Layers.withAnnotation(Layers.withAnnotation(
                Layers.withAnnotation(layer.descriptor(), JWE, foreign + "," + layer.descriptor().annotations().get(JWE)),
                EncryptionAnnotations.KEYS_PREFIX + "pgp", b64("an OpenPGP message")),
                EncryptionAnnotations.KEYS_PREFIX + "tpm2", b64("a scheme Cloak does not speak"));
        MemorySink sink = new MemorySink();
        Layers.decrypt(several, layer.ciphertext(), KEYS, sink);
        assertArrayEquals(plaintext, sink.published());
    }

    @Test
    void layerKeyNeitherShowsNorKeepsKeyMaterial() {
        LayerKey key = DECRYPTOR.unwrap(layer.descriptor(), KEYS);
        byte[] symkey = key.privateOptions().symkey();
        String b64Key = b64(symkey);
        assertEquals("LayerKey[" + layer.name() + "]", key.toString());
        assertFalse(key.toString().contains(b64Key));
        key.close();
        assertArrayEquals(new byte[32], symkey, "close wipes the key");
        assertArrayEquals(new byte[16], key.privateOptions().nonce(), "close wipes the nonce");
    }

    @Test
    void recipientsDescribesWhoCanDecrypt() throws IOException {
        Layers.Encrypted two = Layers.encrypt(plaintext(10), TestKeys.recipient(TestKeys.RSA_A), TestKeys.recipient(TestKeys.EC_P384));
        assertEquals("jwe (RSA-OAEP RSA; ECDH-ES+A256KW EC P-384)", DECRYPTOR.recipients(two.descriptor()));
    }

    // ---- Malformed annotations and options: INVALID_INPUT, one line naming the layer, nothing decrypted. ----

    static Stream<Arguments> malformedLayers() throws IOException {
        Descriptor d = layer.descriptor();
        String hmac = JSON.readTree(Layers.unb64(d.annotations().get(PUBOPTS))).get("hmac").asText();
        ObjectNode jweWithoutCiphertext = (ObjectNode) JSON.readTree(Layers.unb64(d.annotations().get(JWE)));
        jweWithoutCiphertext.remove("ciphertext");
        byte[] key = Layers.random(32, 5);
        byte[] nonce = Layers.random(16, 6);
        String nonceB64 = b64(nonce);
        return Stream.of(
                Arguments.of("no pubopts", Layers.withAnnotation(d, PUBOPTS, null)),
                Arguments.of("no keys.* annotation", Layers.withAnnotation(d, JWE, null)),
                Arguments.of("empty keys.jwe annotation", Layers.withAnnotation(d, JWE, " , ")),
                Arguments.of("wrapped key not base64", Layers.withAnnotation(d, JWE, "{not base64}")),
                Arguments.of("pubopts not base64", Layers.withAnnotation(d, PUBOPTS, "%%%")),
                Arguments.of("pubopts not JSON", Layers.withAnnotation(d, PUBOPTS, b64("cipher=AES"))),
                Arguments.of("pubopts unknown cipher", Layers.withAnnotation(d, PUBOPTS,
                        b64("{\"cipher\":\"AES_128_GCM\",\"hmac\":\"" + hmac + "\",\"cipheroptions\":{}}"))),
                Arguments.of("pubopts without cipher", Layers.withAnnotation(d, PUBOPTS,
                        b64("{\"hmac\":\"" + hmac + "\"}"))),
                Arguments.of("pubopts short hmac", Layers.withAnnotation(d, PUBOPTS,
                        b64(Layers.publicJson(new byte[16])))),
                Arguments.of("pubopts without hmac", Layers.withAnnotation(d, PUBOPTS,
                        b64("{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"cipheroptions\":{}}"))),
                Arguments.of("JWE entry not JSON", Layers.withAnnotation(d, JWE, b64("eyJhbGciOi.compact.form"))),
                Arguments.of("JWE JSON without ciphertext", Layers.withAnnotation(d, JWE,
                        b64(JSON.writeValueAsBytes(jweWithoutCiphertext)))),
                Arguments.of("unwrapped symkey of 16 bytes", wrapped(d, "{\"symkey\":\"" + b64(new byte[16])
                        + "\",\"cipheroptions\":{\"nonce\":\"" + nonceB64 + "\"}}")),
                Arguments.of("unwrapped options without nonce", wrapped(d, "{\"symkey\":\"" + b64(key)
                        + "\",\"cipheroptions\":{}}")),
                Arguments.of("unwrapped options without cipheroptions", wrapped(d, "{\"symkey\":\"" + b64(key) + "\"}")),
                Arguments.of("unwrapped nonce of 12 bytes", wrapped(d, Layers.privateJson(key, new byte[12], null))),
                Arguments.of("unwrapped options not JSON", wrapped(d, "symkey=secret")),
                Arguments.of("unwrapped digest malformed", wrapped(d, Layers.privateJson(key, nonce, "sha256:xyz"))));
    }

    /** {@code layer} with its JWE replaced by one that wraps {@code privateJson} for the test key. */
    private static Descriptor wrapped(Descriptor d, String privateJson) {
        return Layers.withAnnotation(d, JWE,
                b64(TestKeys.nimbusFlattened(TestKeys.RSA_A.getPublic(), privateJson.getBytes(StandardCharsets.UTF_8))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedLayers")
    void malformedLayerIsInvalidInputNamingTheLayer(String what, Descriptor malformed) {
        MemorySink sink = new MemorySink();
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT,
                () -> Layers.decrypt(malformed, layer.ciphertext(), KEYS, sink));
        assertNamesLayer(e, layer);
        assertNull(e.getCause(), "no stack trace to show");
        sink.assertUntouched();
    }

    /** The message names the layer and never repeats the key bytes that were wrong. */
    @Test
    void invalidOptionsMessageDoesNotEchoKeyMaterial() {
        byte[] shortKey = Layers.random(16, 8);
        Descriptor d = wrapped(layer.descriptor(), "{\"symkey\":\"" + b64(shortKey) + "\",\"cipheroptions\":{}}");
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT, () -> DECRYPTOR.unwrap(d, KEYS));
        assertFalse(e.getMessage().contains(b64(shortKey)), e.getMessage());
    }

    // ---- Malformed input that currently escapes as a raw exception or a multi-line message (bugs). ----

    /** JSON {@code null} parses to a null record in Jackson; CipherOptions.parsePublic then dereferences it. */
    @Test
    void puboptsJsonNullIsInvalidInput() {
        Descriptor d = Layers.withAnnotation(layer.descriptor(), PUBOPTS, b64("null"));
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT, () -> DECRYPTOR.unwrap(d, KEYS));
        assertNamesLayer(e, layer);
    }

    /** The same for the unwrapped private options (CipherOptions.parsePrivate). */
    @Test
    void privateOptionsJsonNullIsInvalidInput() {
        Descriptor d = wrapped(layer.descriptor(), "null");
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT, () -> DECRYPTOR.unwrap(d, KEYS));
        assertNamesLayer(e, layer);
    }

    static Stream<Arguments> imageControlledText() throws IOException {
        String hmac = JSON.readTree(Layers.unb64(layer.descriptor().annotations().get(PUBOPTS))).get("hmac").asText();
        String injected = "x\nlevel=INFO msg=\"layer verified\"";
        String jsonInjected = injected.replace("\n", "\\n").replace("\"", "\\\"");
        return Stream.of(
                Arguments.of("cipher name in pubopts", Layers.withAnnotation(layer.descriptor(), PUBOPTS,
                        b64("{\"cipher\":\"" + jsonInjected + "\",\"hmac\":\"" + hmac + "\"}")), ErrorKind.INVALID_INPUT),
                Arguments.of("key annotation name with bad value", Layers.withAnnotation(layer.descriptor(),
                        EncryptionAnnotations.KEYS_PREFIX + injected, "%%%"), ErrorKind.INVALID_INPUT),
                Arguments.of("unsupported scheme name", Layers.withAnnotation(Layers.withAnnotation(layer.descriptor(),
                        JWE, null), EncryptionAnnotations.KEYS_PREFIX + injected, b64("opaque")), ErrorKind.NO_KEY));
    }

    /** Manifest and pubopts text is the image author's; echoing it raw lets them forge log lines. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("imageControlledText")
    void imageControlledTextNeverBreaksTheMessageLine(String what, Descriptor d, ErrorKind kind) {
        CloakException e = assertFailure(kind, () -> DECRYPTOR.unwrap(d, KEYS));
        assertNamesLayer(e, layer);
    }

    private static byte[] plaintext(int size) {
        return Layers.random(size, size);
    }

    /** The notes' rule: every entry is tried, first success wins; a malformed one must not hide a good one. */
    @Test
    void malformedEntryBeforeAUsableOneIsSkipped() throws IOException {
        String good = layer.descriptor().annotations().get(JWE);
        Descriptor d = Layers.withAnnotation(layer.descriptor(), JWE, Layers.b64("not json at all") + "," + good);
        MemorySink sink = new MemorySink();
        Layers.decrypt(d, layer.ciphertext(), KEYS, sink);
        sink.assertPublished();
    }

    private static byte[] flip(byte[] bytes, int index) {
        bytes[index] ^= 0x01;
        return bytes;
    }
}
