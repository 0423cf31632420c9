package dev.cloak.ocicrypt.keywrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObjectJSON;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.MultiEncrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.keys.KeyFile;
import dev.cloak.keys.KeyFileParser;
import dev.cloak.keys.Keyring;
import dev.cloak.keys.PrivateKeyEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RSA-OAEP (SHA-1) is deprecated in nimbus but is what skopeo writes, so the tests must use it. */
@SuppressWarnings("deprecation")
class JweKeyWrapperTest {
    private static final String LAYER = "sha256:" + "ab".repeat(32);
    private static final byte[] OPTIONS = "{\"symkey\":\"c2VjcmV0\",\"cipheroptions\":{\"nonce\":\"bm9uY2U=\"}}"
            .getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JweKeyWrapper WRAPPER = new JweKeyWrapper();
    /** Keys of the wrong kind and curve tried before the right one: a failed try must not end the search. */
    private static final KeyPair[] DECOYS = {TestKeys.RSA_OTHER, TestKeys.EC_OTHER, TestKeys.ec("secp384r1")};

    // ---- Reading what another JOSE implementation (nimbus) wrote. ----

    static Stream<Arguments> nimbusCombinations() {
        List<Arguments> out = new ArrayList<>();
        List<Object[]> algKeys = List.of(
                new Object[] {JWEAlgorithm.RSA_OAEP, TestKeys.RSA_A},
                new Object[] {JWEAlgorithm.RSA_OAEP_256, TestKeys.RSA_A},
                new Object[] {JWEAlgorithm.ECDH_ES_A128KW, TestKeys.EC_P256},
                new Object[] {JWEAlgorithm.ECDH_ES_A192KW, TestKeys.EC_P256},
                new Object[] {JWEAlgorithm.ECDH_ES_A256KW, TestKeys.EC_P256},
                new Object[] {JWEAlgorithm.ECDH_ES_A128KW, TestKeys.EC_P384},
                new Object[] {JWEAlgorithm.ECDH_ES_A192KW, TestKeys.EC_P384},
                new Object[] {JWEAlgorithm.ECDH_ES_A256KW, TestKeys.EC_P384});
        List<EncryptionMethod> encs = List.of(EncryptionMethod.A128GCM, EncryptionMethod.A192GCM,
                EncryptionMethod.A256GCM, EncryptionMethod.A128CBC_HS256, EncryptionMethod.A192CBC_HS384,
                EncryptionMethod.A256CBC_HS512);
        for (Object[] ak : algKeys) {
            for (EncryptionMethod enc : encs) {
                out.add(Arguments.of(ak[0], enc, ak[1], curveName((KeyPair) ak[1])));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {3}")
    @MethodSource("nimbusCombinations")
    void unwrapsFlattenedJweFromNimbus(JWEAlgorithm alg, EncryptionMethod enc, KeyPair key, String curve) {
        byte[] entry = TestKeys.nimbusFlattened(new JWEHeader(alg, enc), key.getPublic(), OPTIONS);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, keyringWithDecoys(key), LAYER));
        assertNull(WRAPPER.unwrap(entry, TestKeys.keyring(DECOYS), LAYER));
    }

    /** General JSON serialization from nimbus' own multi-recipient encrypter, one recipient per algorithm family. */
    @ParameterizedTest
    @EnumSource(value = Enc.class)
    void unwrapsGeneralJweFromNimbusForEveryRecipient(Enc enc) throws Exception {
        JWKSet recipients = new JWKSet(List.of(
                new RSAKey.Builder((RSAPublicKey) TestKeys.RSA_A.getPublic()).algorithm(JWEAlgorithm.RSA_OAEP).keyID("rsa-a").build(),
                new RSAKey.Builder((RSAPublicKey) TestKeys.RSA_B.getPublic()).algorithm(JWEAlgorithm.RSA_OAEP_256).keyID("rsa-b").build(),
                new ECKey.Builder(Curve.P_256, (ECPublicKey) TestKeys.EC_P256.getPublic()).algorithm(JWEAlgorithm.ECDH_ES_A256KW).keyID("ec-256").build(),
                new ECKey.Builder(Curve.P_384, (ECPublicKey) TestKeys.EC_P384.getPublic()).algorithm(JWEAlgorithm.ECDH_ES_A192KW).keyID("ec-384").build()));
        JWEObjectJSON jwe = new JWEObjectJSON(new JWEHeader.Builder(enc.method).build(), new Payload(OPTIONS));
        jwe.encrypt(new MultiEncrypter(recipients));
        byte[] entry = jwe.serializeGeneral().getBytes(StandardCharsets.UTF_8);

        for (KeyPair key : List.of(TestKeys.RSA_A, TestKeys.RSA_B, TestKeys.EC_P256, TestKeys.EC_P384)) {
            assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, keyringWithDecoys(key), LAYER), curveName(key));
        }
        assertNull(WRAPPER.unwrap(entry, TestKeys.keyring(DECOYS), LAYER));
        assertEquals(List.of("RSA-OAEP RSA kid=rsa-a", "RSA-OAEP-256 RSA kid=rsa-b",
                "ECDH-ES+A256KW EC P-256 kid=ec-256", "ECDH-ES+A192KW EC P-384 kid=ec-384"),
                WRAPPER.describeRecipients(entry, LAYER));
    }

    enum Enc {
        A128GCM(EncryptionMethod.A128GCM), A192GCM(EncryptionMethod.A192GCM), A256GCM(EncryptionMethod.A256GCM),
        A128CBC_HS256(EncryptionMethod.A128CBC_HS256), A192CBC_HS384(EncryptionMethod.A192CBC_HS384),
        A256CBC_HS512(EncryptionMethod.A256CBC_HS512);

        final EncryptionMethod method;

        Enc(EncryptionMethod method) {
            this.method = method;
        }
    }

    // ---- What Cloak writes, read back by nimbus as well as by Cloak. ----

    @Test
    void oneRsaRecipientGivesFlattenedRsaOaepA256gcm() throws Exception {
        byte[] entry = WRAPPER.wrap(List.of(TestKeys.recipient(TestKeys.RSA_A)), OPTIONS);
        JsonNode root = JSON.readTree(entry);
        assertFalse(root.has("recipients"), "one recipient: flattened serialization");
        for (String field : List.of("protected", "encrypted_key", "iv", "ciphertext", "tag")) {
            assertTrue(root.hasNonNull(field), field);
        }
        assertEquals(JSON.readTree("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\"}"), protectedHeader(root));
        assertArrayEquals(OPTIONS, nimbusDecrypt(entry, TestKeys.RSA_A.getPrivate()));
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.RSA_A), LAYER));
        assertNull(WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.RSA_B, TestKeys.EC_P256), LAYER));
    }

    @Test
    void oneEcRecipientGivesFlattenedEcdhEsA256kw() throws Exception {
        byte[] entry = WRAPPER.wrap(List.of(TestKeys.recipient(TestKeys.EC_P384)), OPTIONS);
        JsonNode header = protectedHeader(JSON.readTree(entry));
        assertEquals("ECDH-ES+A256KW", header.get("alg").asText());
        assertEquals("A256GCM", header.get("enc").asText());
        assertEquals("P-384", header.get("epk").get("crv").asText());
        assertArrayEquals(OPTIONS, nimbusDecrypt(entry, TestKeys.EC_P384.getPrivate()));
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.EC_P384), LAYER));
    }

    /** go-jose's layout for several recipients: enc protected and shared, alg (and epk) per recipient. */
    @Test
    void twoRecipientsGiveGeneralSerializationWithPerRecipientHeaders() throws Exception {
        byte[] entry = WRAPPER.wrap(List.of(TestKeys.recipient(TestKeys.RSA_A), TestKeys.recipient(TestKeys.EC_P256)), OPTIONS);
        JsonNode root = JSON.readTree(entry);
        assertEquals(JSON.readTree("{\"enc\":\"A256GCM\"}"), protectedHeader(root));
        JsonNode recipients = root.get("recipients");
        assertEquals(2, recipients.size());
        JsonNode rsa = recipients.get(0).get("header");
        JsonNode ec = recipients.get(1).get("header");
        assertEquals("RSA-OAEP", rsa.get("alg").asText());
        assertFalse(rsa.has("epk") || rsa.has("enc"), rsa.toString());
        assertEquals("ECDH-ES+A256KW", ec.get("alg").asText());
        assertEquals("P-256", ec.get("epk").get("crv").asText());
        assertFalse(ec.has("enc"), ec.toString());
        assertFalse(ec.get("epk").has("d"), "the ephemeral private key must not be published");

        for (int i = 0; i < 2; i++) {
            KeyPair key = i == 0 ? TestKeys.RSA_A : TestKeys.EC_P256;
            assertArrayEquals(OPTIONS, nimbusDecryptRecipient(root, i, key.getPrivate()));
            assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.keyring(key), LAYER));
        }
        assertNull(WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.RSA_B, TestKeys.EC_OTHER, TestKeys.EC_P384), LAYER));
        assertEquals(List.of("RSA-OAEP RSA", "ECDH-ES+A256KW EC P-256"), WRAPPER.describeRecipients(entry, LAYER));
    }

    // ---- Recipients from key files. ----

    @Test
    void jwkRecipientChoosesItsOwnAlgorithm(@TempDir Path dir) throws Exception {
        Path rsaJwk = Files.writeString(dir.resolve("rsa.jwk"), new RSAKey.Builder((RSAPublicKey) TestKeys.RSA_B.getPublic())
                .algorithm(JWEAlgorithm.RSA_OAEP_256).build().toJSONString());
        Path ecJwk = Files.writeString(dir.resolve("ec.jwk"), new ECKey.Builder(Curve.P_256, (ECPublicKey) TestKeys.EC_P256.getPublic())
                .algorithm(JWEAlgorithm.ECDH_ES_A128KW).build().toJSONString());

        Recipient.Jwe rsa = (Recipient.Jwe) Recipients.parse("jwe:" + rsaJwk);
        Recipient.Jwe ec = (Recipient.Jwe) Recipients.parse("jwe:" + ecJwk);
        assertEquals(JWEAlgorithm.RSA_OAEP_256, rsa.algorithm());
        assertEquals(JWEAlgorithm.ECDH_ES_A128KW, ec.algorithm());
        assertEquals("jwe", rsa.scheme());

        byte[] entry = WRAPPER.wrap(List.of(rsa), OPTIONS);
        assertEquals("RSA-OAEP-256", protectedHeader(JSON.readTree(entry)).get("alg").asText());
        assertArrayEquals(OPTIONS, nimbusDecrypt(entry, TestKeys.RSA_B.getPrivate()));
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.RSA_B), LAYER));

        byte[] both = WRAPPER.wrap(List.of(rsa, ec), OPTIONS);
        JsonNode recipients = JSON.readTree(both).get("recipients");
        assertEquals("RSA-OAEP-256", recipients.get(0).get("header").get("alg").asText());
        assertEquals("ECDH-ES+A128KW", recipients.get(1).get("header").get("alg").asText());
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(both, TestKeys.keyring(TestKeys.EC_P256), LAYER));
    }

    @Test
    void bareKeyRecipientGetsSkopeosDefault(@TempDir Path dir) throws Exception {
        Path rsaPem = Files.writeString(dir.resolve("rsa.pem"), pem(TestKeys.RSA_A.getPublic().getEncoded()));
        Path ecDer = Files.write(dir.resolve("ec.der"), TestKeys.EC_P384.getPublic().getEncoded());
        assertEquals(JWEAlgorithm.RSA_OAEP, ((Recipient.Jwe) Recipients.parse("jwe:" + rsaPem)).algorithm());
        assertEquals(JWEAlgorithm.ECDH_ES_A256KW, ((Recipient.Jwe) Recipients.parse("jwe:" + ecDer)).algorithm());
        assertEquals(TestKeys.EC_P384.getPublic(), ((Recipient.Jwe) Recipients.parse("jwe:" + ecDer)).key());
    }

    @Test
    void badRecipientSpecsAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path notAKey = Files.writeString(dir.resolve("README"), "hello");
        Map<String, ErrorKind> specs = Map.of(
                dir.resolve("key.pem").toString(), ErrorKind.INVALID_INPUT,
                "pkcs7:" + notAKey, ErrorKind.INVALID_INPUT,
                "ssh:" + notAKey, ErrorKind.INVALID_INPUT,
                "jwe:" + dir.resolve("missing.pem"), ErrorKind.NOT_FOUND,
                "jwe:" + notAKey, ErrorKind.INVALID_INPUT);
        specs.forEach((spec, kind) -> {
            CloakException e = fails(() -> Recipients.parse(spec));
            assertEquals(kind, e.kind(), spec);
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        });
        assertTrue(fails(() -> Recipients.parse("jwe:" + notAKey)).getMessage().contains(notAKey.toString()));
    }

    // ---- Key selection by kid. ----

    /**
     * The kid in the recipient header picks the key to try first. A tripwire key that counts every use sits
     * before the right one; with a matching kid it must never be touched.
     */
    @Test
    void keyWhoseKidMatchesIsTriedFirst() {
        AtomicInteger touched = new AtomicInteger();
        PrivateKeyEntry tripwire = new PrivateKeyEntry(Path.of("tripwire"), tripwireRsaKey(touched), "node-a");
        Keyring keyring = new Keyring("test", List.of(tripwire, TestKeys.entry(TestKeys.RSA_B, "node-b")), List.of());

        byte[] withKid = TestKeys.nimbusFlattened(new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP, EncryptionMethod.A256GCM)
                .keyID("node-b").build(), TestKeys.RSA_B.getPublic(), OPTIONS);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(withKid, keyring, LAYER));
        assertEquals(0, touched.get(), "the key with the matching kid goes first");

        byte[] withoutKid = TestKeys.nimbusFlattened(TestKeys.RSA_B.getPublic(), OPTIONS);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(withoutKid, keyring, LAYER));
        assertTrue(touched.get() > 0, "control: without a kid the keyring order decides, so the tripwire is tried");
    }

    /** The realistic path: a JWK private key file whose kid the JWE names. */
    @Test
    void jwkPrivateKeyWithMatchingKidUnwraps() throws Exception {
        String jwk = new ECKey.Builder(Curve.P_384, (ECPublicKey) TestKeys.EC_P384.getPublic())
                .privateKey((ECPrivateKey) TestKeys.EC_P384.getPrivate()).keyID("cluster-key-7").build().toJSONString();
        KeyFile parsed = KeyFileParser.parse(Path.of("node.jwk"), jwk.getBytes(StandardCharsets.UTF_8), null);
        List<PrivateKeyEntry> entries = assertInstanceOf(KeyFile.Keys.class, parsed).privateKeys();
        assertEquals("cluster-key-7", entries.get(0).keyId());

        byte[] entry = TestKeys.nimbusFlattened(new JWEHeader.Builder(JWEAlgorithm.ECDH_ES_A256KW, EncryptionMethod.A256GCM)
                .keyID("cluster-key-7").build(), TestKeys.EC_P384.getPublic(), OPTIONS);
        List<PrivateKeyEntry> keys = new ArrayList<>(TestKeys.keyring(DECOYS).privateKeys());
        keys.addAll(entries);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, new Keyring("node", keys, List.of()), LAYER));
        assertEquals(List.of("ECDH-ES+A256KW EC P-384 kid=cluster-key-7"), WRAPPER.describeRecipients(entry, LAYER));
    }

    /** A kid is a hint: naming a key the node does not have must not stop the others from being tried. */
    @Test
    void unknownKidStillTriesEveryKey() {
        byte[] entry = TestKeys.nimbusFlattened(new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP, EncryptionMethod.A256GCM)
                .keyID("someone-else").build(), TestKeys.RSA_A.getPublic(), OPTIONS);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, keyringWithDecoys(TestKeys.RSA_A), LAYER));
    }

    // ---- Malformed and foreign entries. ----

    @ParameterizedTest
    @ValueSource(strings = {
            "not json at all",
            "[1,2,3]",
            "{\"protected\":\"eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ\",\"iv\":\"AA\",\"tag\":\"AA\"}",
            "{\"protected\":\"bm90IGpzb24\",\"ciphertext\":\"AA\"}",
            "{\"protected\":\"eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ\",\"ciphertext\":\"AA\",\"recipients\":[{\"header\":7}]}"})
    void malformedEntryIsInvalidInputNamingTheLayer(String entry) {
        byte[] bytes = entry.getBytes(StandardCharsets.UTF_8);
        for (CloakException e : List.of(
                fails(() -> WRAPPER.unwrap(bytes, TestKeys.keyring(TestKeys.RSA_A, TestKeys.EC_P256), LAYER)),
                fails(() -> WRAPPER.describeRecipients(bytes, LAYER)))) {
            assertEquals(ErrorKind.INVALID_INPUT, e.kind());
            assertTrue(e.getMessage().contains(LAYER), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /** Nimbus 10 parses a header without "alg" (general JSON may put it per recipient), so Cloak must check. */
    @Test
    void entryWithoutAnyAlgIsInvalidInput() {
        byte[] entry = handBuilt("{\"enc\":\"A256GCM\"}");
        for (CloakException e : List.of(
                fails(() -> WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.RSA_A), LAYER)),
                fails(() -> WRAPPER.describeRecipients(entry, LAYER)))) {
            assertEquals(ErrorKind.INVALID_INPUT, e.kind());
            assertTrue(e.getMessage().contains(LAYER), e.getMessage());
        }
    }

    /** Well-formed JWEs for algorithms no node key can serve are "not for us", not errors. */
    @ParameterizedTest
    @ValueSource(strings = {"A256KW", "dir", "PBES2-HS256+A128KW"})
    void entryForAKeyAlgorithmWithoutKeysReturnsNull(String alg) {
        byte[] entry = handBuilt("{\"alg\":\"" + alg + "\",\"enc\":\"A256GCM\"}");
        assertNull(WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.RSA_A, TestKeys.EC_P256), LAYER));
        assertEquals(List.of(alg), WRAPPER.describeRecipients(entry, LAYER));
    }

    /**
     * containers/ocicrypt only accepts RSA-OAEP, RSA-OAEP-256 and ECDH-ES+AxxxKW; JweKeyWrapper's Javadoc
     * says the same. RSA1_5 (PKCS#1 v1.5, the Bleichenbacher-prone padding) must not unwrap.
     */
    @Test
    void rsa15IsRefusedLikeUpstream() {
        byte[] entry = TestKeys.nimbusFlattened(new JWEHeader(JWEAlgorithm.RSA1_5, EncryptionMethod.A256GCM),
                TestKeys.RSA_A.getPublic(), OPTIONS);
        assertTrue(WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.RSA_A), LAYER) == null,
                "an RSA1_5 entry was unwrapped");
    }

    /**
     * An ECDH-ES entry with an X25519 ephemeral key (which go-jose never writes) parses fine, matches no node
     * key, and must then be described for the NO_KEY message instead of failing with a ClassCastException.
     */
    @Test
    void describesEcdhEntryWithNonEcEphemeralKey() {
        String x = Base64URL.encode(new byte[32]).toString();
        byte[] entry = handBuilt("{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"epk\":"
                + "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + x + "\"}}");
        assertNull(WRAPPER.unwrap(entry, TestKeys.keyring(TestKeys.EC_P256), LAYER));
        List<String> described = WRAPPER.describeRecipients(entry, LAYER);
        assertEquals(1, described.size());
        assertTrue(described.get(0).startsWith("ECDH-ES+A256KW"), described.toString());
    }

    // ---- helpers ----

    private static Keyring keyringWithDecoys(KeyPair key) {
        KeyPair[] all = java.util.Arrays.copyOf(DECOYS, DECOYS.length + 1);
        all[DECOYS.length] = key;
        return TestKeys.keyring(all);
    }

    private static String curveName(KeyPair key) {
        return key.getPublic() instanceof ECPublicKey ec
                ? "P-" + ec.getParams().getCurve().getField().getFieldSize() : "RSA";
    }

    private static JsonNode protectedHeader(JsonNode root) throws Exception {
        return JSON.readTree(new Base64URL(root.get("protected").asText()).decode());
    }

    /**
     * Recipient {@code i} of a general JWE decrypted with nimbus' primitives (JWEObjectJSON.decrypt ignores
     * per-recipient headers and MultiDecrypter needs a kid): header = protected + per-recipient, AAD = the
     * encoded protected header, as RFC 7516 5.2 says.
     */
    private static byte[] nimbusDecryptRecipient(JsonNode general, int i, PrivateKey key) throws Exception {
        String protectedB64 = general.get("protected").asText();
        JsonNode recipient = general.get("recipients").get(i);
        Map<String, Object> merged = new java.util.LinkedHashMap<>(JSONObjectUtils.parse(new Base64URL(protectedB64).decodeToString()));
        merged.putAll(JSONObjectUtils.parse(recipient.get("header").toString()));
        return decrypter(key).decrypt(JWEHeader.parse(merged), new Base64URL(recipient.get("encrypted_key").asText()),
                new Base64URL(general.get("iv").asText()), new Base64URL(general.get("ciphertext").asText()),
                new Base64URL(general.get("tag").asText()), protectedB64.getBytes(StandardCharsets.US_ASCII));
    }

    private static JWEDecrypter decrypter(PrivateKey key) throws Exception {
        return key instanceof RSAPrivateKey ? new RSADecrypter(key) : new ECDHDecrypter((ECPrivateKey) key);
    }

    private static byte[] nimbusDecrypt(byte[] flattened, PrivateKey key) throws Exception {
        JWEObjectJSON jwe = JWEObjectJSON.parse(new String(flattened, StandardCharsets.UTF_8));
        jwe.decrypt(decrypter(key));
        return jwe.getPayload().toBytes();
    }

    /** A syntactically valid flattened JWE with the given protected header and random parts. */
    private static byte[] handBuilt(String protectedHeader) {
        Map<String, String> parts = Map.of(
                "protected", Base64URL.encode(protectedHeader).toString(),
                "encrypted_key", Base64URL.encode(new byte[40]).toString(),
                "iv", Base64URL.encode(new byte[12]).toString(),
                "ciphertext", Base64URL.encode(new byte[20]).toString(),
                "tag", Base64URL.encode(new byte[16]).toString());
        try {
            return JSON.writeValueAsBytes(parts);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RSAPrivateKey tripwireRsaKey(AtomicInteger touched) {
        return (RSAPrivateKey) Proxy.newProxyInstance(JweKeyWrapperTest.class.getClassLoader(),
                new Class<?>[] {RSAPrivateKey.class}, (proxy, method, args) -> {
                    touched.incrementAndGet();
                    throw new UnsupportedOperationException("tripwire key used: " + method.getName());
                });
    }

    private static String pem(byte[] spki) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(spki)
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static CloakException fails(org.junit.jupiter.api.function.Executable action) {
        return assertThrows(CloakException.class, action);
    }

}
