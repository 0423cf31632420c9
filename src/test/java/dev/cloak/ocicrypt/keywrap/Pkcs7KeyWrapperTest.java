package dev.cloak.ocicrypt.keywrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.keys.KeyFile;
import dev.cloak.keys.KeyFileParser;
import dev.cloak.keys.Keyring;
import dev.cloak.testing.TestPki;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Pkcs7KeyWrapperTest {
    private static final String LAYER = "sha256:" + "cd".repeat(32);
    private static final byte[] OPTIONS = "{\"symkey\":\"c2VjcmV0\",\"cipheroptions\":{\"nonce\":\"bm9uY2U=\"}}"
            .getBytes(StandardCharsets.UTF_8);
    private static final Pkcs7KeyWrapper WRAPPER = new Pkcs7KeyWrapper();
    private static final TestPki PKI = new TestPki("Cloak test CA");
    /** A second CA: its first certificates get the same serial numbers as the first CA's. */
    private static final TestPki OTHER_PKI = new TestPki("Another CA");
    private static final X509Certificate CERT_A = PKI.recipient("node-a", TestKeys.RSA_A);
    private static final X509Certificate CERT_B = PKI.recipient("node-b", TestKeys.RSA_B);
    private static final X509Certificate SAME_SERIAL_OTHER_ISSUER = OTHER_PKI.recipient("node-x", TestKeys.RSA_OTHER);

    private static byte[] wrapFor(X509Certificate... certs) {
        return WRAPPER.wrap(Arrays.stream(certs).map(c -> (Recipient) TestKeys.pkcs7Recipient(c)).toList(), OPTIONS);
    }

    // ---- Round trips and key selection.

    @Test
    void roundTripWithKeyAndCertificate() {
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(wrapFor(CERT_A), TestKeys.pkcs7Keyring(TestKeys.RSA_A, CERT_A), LAYER));
    }

    @Test
    void eachOfSeveralRecipientsUnwrapsAlone() {
        byte[] entry = wrapFor(CERT_A, CERT_B);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.pkcs7Keyring(TestKeys.RSA_A, CERT_A), LAYER));
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.pkcs7Keyring(CERT_B, TestKeys.RSA_B), LAYER));
        assertEquals(2, WRAPPER.describeRecipients(entry, LAYER).size());
    }

    /** Several certificates and keys side by side: each certificate is paired with its own key. */
    @Test
    void keyIsFoundAmongOtherKeysAndCertificates() {
        Keyring crowded = TestKeys.pkcs7Keyring(SAME_SERIAL_OTHER_ISSUER, TestKeys.RSA_OTHER, CERT_A, TestKeys.RSA_B,
                CERT_B, TestKeys.EC_P256, TestKeys.RSA_A);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(wrapFor(CERT_B), crowded, LAYER));
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(wrapFor(CERT_A), crowded, LAYER));
    }

    @Test
    void serialAloneDoesNotNameTheRecipient() {
        assertEquals(CERT_A.getSerialNumber(), SAME_SERIAL_OTHER_ISSUER.getSerialNumber(), "the test needs equal serials");
        assertNull(WRAPPER.unwrap(wrapFor(CERT_A), TestKeys.pkcs7Keyring(TestKeys.RSA_OTHER, SAME_SERIAL_OTHER_ISSUER), LAYER));
    }

    @Test
    void wrongKeyGivesNull() {
        assertNull(WRAPPER.unwrap(wrapFor(CERT_A), TestKeys.pkcs7Keyring(TestKeys.RSA_B, CERT_B), LAYER));
    }

    /** Like ocicrypt, Cloak finds the recipient through the certificate: the key alone is not enough. */
    @Test
    void keyWithoutItsCertificateOrCertificateWithoutItsKeyGivesNull() {
        byte[] entry = wrapFor(CERT_A);
        assertNull(WRAPPER.unwrap(entry, TestKeys.pkcs7Keyring(TestKeys.RSA_A), LAYER));
        assertNull(WRAPPER.unwrap(entry, TestKeys.pkcs7Keyring(CERT_A), LAYER));
        assertNull(WRAPPER.unwrap(entry, TestKeys.pkcs7Keyring(CERT_A, TestKeys.RSA_B), LAYER), "the key must match the certificate");
    }

    /** A corrupt key transport fails like a wrong key (no exception, no other outcome): no padding oracle. */
    @Test
    void corruptEncryptedKeyGivesNull() {
        CmsEnvelope good = CmsEnvelope.parse(wrapFor(CERT_A));
        CmsEnvelope.KeyTransport t = good.recipients().get(0);
        byte[] garbage = new byte[t.encryptedKey().length];
        new java.util.Random(5).nextBytes(garbage);
        byte[] corrupt = new CmsEnvelope(List.of(new CmsEnvelope.KeyTransport(t.issuer(), t.serial(), t.keyAlgorithm(), garbage)),
                good.content()).encode();
        assertNull(WRAPPER.unwrap(corrupt, TestKeys.pkcs7Keyring(TestKeys.RSA_A, CERT_A), LAYER));
    }

    @Test
    void alteredCiphertextGivesNull() {
        CmsEnvelope good = CmsEnvelope.parse(wrapFor(CERT_A));
        byte[] ciphertext = good.content().ciphertext().clone();
        ciphertext[3] ^= 1;
        byte[] altered = new CmsEnvelope(good.recipients(), new CmsEnvelope.Content(good.content().algorithm(),
                good.content().nonce(), good.content().tagBytes(), ciphertext)).encode();
        assertNull(WRAPPER.unwrap(altered, TestKeys.pkcs7Keyring(TestKeys.RSA_A, CERT_A), LAYER));
    }

    // ---- The encoding: what Go's pkcs7 package writes and reads.

    @Test
    void writesTheShapeGoReads() {
        Ber.Node envelope = Ber.parse(wrapFor(CERT_A)).child(1).child(0);
        assertEquals(BigInteger.ZERO, envelope.child(0).integer());
        Ber.Node recipient = envelope.child(1).expect(Ber.SET).child(0);
        assertArrayEquals(IssuerAndSerial.rawIssuer(CERT_A), recipient.child(1).child(0).encoded());
        assertEquals(CERT_A.getSerialNumber(), recipient.child(1).child(1).integer());
        Ber.Node keyAlgorithm = recipient.child(2);
        assertEquals(CmsEnvelope.RSA_ENCRYPTION, keyAlgorithm.child(0).oid());
        assertEquals(1, keyAlgorithm.count(), "Go writes rsaEncryption without NULL parameters");

        Ber.Node content = envelope.child(2);
        Ber.Node algorithm = content.child(1);
        assertEquals(CmsEnvelope.AES_128_GCM, algorithm.child(0).oid());
        Ber.Node quirk = algorithm.child(1);
        assertEquals(0x10, quirk.tag(), "a SEQUENCE tag with the constructed bit clear, as Go writes and reads it");
        Ber.Node gcm = Ber.parse(quirk.content()).expect(Ber.SEQUENCE);
        assertEquals(0x84, gcm.child(0).tag(), "the nonce is [4] IMPLICIT in Go's struct tags");
        assertEquals(12, gcm.child(0).content().length);
        assertEquals(BigInteger.valueOf(16), gcm.child(1).integer());
        assertEquals(0x80, content.child(2).tag(), "the ciphertext as a primitive [0]");
        assertEquals(OPTIONS.length + 16, content.child(2).content().length);
    }

    /** Skopeo's own output (see the README beside the fixture), with the older constructed [0] ciphertext. */
    @Test
    void readsWhatSkopeoWrote() throws IOException {
        KeyFile.Keys key = (KeyFile.Keys) KeyFileParser.parse(Path.of("key.pem"), fixture("skopeo-pkcs7-key.pem"), null);
        KeyFile.Keys cert = (KeyFile.Keys) KeyFileParser.parse(Path.of("cert.pem"), fixture("skopeo-pkcs7-cert.pem"), null);
        Keyring keyring = new Keyring("fixture", key.privateKeys(), cert.certificates());
        byte[] entry = fixture("skopeo-pkcs7-entry.der");

        JsonNode options = new ObjectMapper().readTree(WRAPPER.unwrap(entry, keyring, LAYER));

        assertEquals("sha256:364ecb8a8f875a57aed50fc9676c9c8a85cf62135219d7a5d79a6c7f92dd526c", options.get("digest").asText());
        assertEquals(32, Base64.getDecoder().decode(options.get("symkey").asText()).length);
        assertEquals(List.of("certificate issuer CN=node serial 2C04D556ED2D2EC54D9CE3E3C49F67657C3B2BBC"),
                WRAPPER.describeRecipients(entry, LAYER));
        assertNull(WRAPPER.unwrap(entry, TestKeys.pkcs7Keyring(TestKeys.RSA_A, CERT_A), LAYER));
    }

    /** Bouncy Castle's CMS generator writes the RFC 5084 parameters; reading them too costs nothing. */
    @Test
    void readsStandardGcmParametersAsBouncyCastleWritesThem() throws Exception {
        CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
        BouncyCastleProvider bc = new BouncyCastleProvider();
        generator.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(CERT_B).setProvider(bc));
        byte[] entry = generator.generate(new CMSProcessableByteArray(OPTIONS),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_GCM).setProvider(bc).build()).getEncoded();
        assertEquals(Ber.SEQUENCE, Ber.parse(entry).child(1).child(0).child(2).child(1).child(1).tag(), "standard form");
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.pkcs7Keyring(TestKeys.RSA_B, CERT_B), LAYER));
    }

    @Test
    void describesRecipientsByIssuerAndSerial() {
        assertEquals(List.of(
                "certificate issuer CN=Cloak test CA serial " + CERT_A.getSerialNumber().toString(16).toUpperCase(),
                "certificate issuer CN=Another CA serial " + SAME_SERIAL_OTHER_ISSUER.getSerialNumber().toString(16)
                        .toUpperCase()), WRAPPER.describeRecipients(wrapFor(CERT_A, SAME_SERIAL_OTHER_ISSUER), LAYER));
    }

    // ---- Malformed entries: INVALID_INPUT, one line naming the layer.

    static Stream<Arguments> malformedEntries() {
        byte[] good = wrapFor(CERT_A);
        CmsEnvelope parsed = CmsEnvelope.parse(good);
        byte[] deep = new byte[0];
        for (int i = 0; i < 40; i++) {
            deep = Ber.der(Ber.SEQUENCE, deep);
        }
        return Stream.of(
                Arguments.of("not DER", "opaque CMS bytes".getBytes(StandardCharsets.UTF_8)),
                Arguments.of("empty", new byte[0]),
                Arguments.of("truncated", Arrays.copyOf(good, good.length - 7)),
                Arguments.of("trailing bytes", Arrays.copyOf(good, good.length + 2)),
                Arguments.of("signed data, not enveloped", Ber.der(Ber.SEQUENCE, Ber.oid("1.2.840.113549.1.7.2"),
                        Ber.der(0xa0, Ber.der(Ber.SEQUENCE)))),
                Arguments.of("no recipients", new CmsEnvelope(List.of(), parsed.content()).encode()),
                Arguments.of("nested 40 deep", deep),
                Arguments.of("indefinite length without end", new byte[] {0x30, (byte) 0x80, 0x02, 0x01, 0x00}),
                Arguments.of("length beyond the end", new byte[] {0x30, (byte) 0x84, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedEntries")
    void malformedEntryIsInvalidInputNamingTheLayer(String what, byte[] entry) {
        for (CloakException e : List.of(
                assertThrows(CloakException.class, () -> WRAPPER.unwrap(entry, TestKeys.pkcs7Keyring(TestKeys.RSA_A, CERT_A), LAYER)),
                assertThrows(CloakException.class, () -> WRAPPER.describeRecipients(entry, LAYER)))) {
            assertOneLineNamingTheLayer(e);
        }
    }

    /** AES-CBC and friends are well-formed CMS that ocicrypt never writes; unwrapping refuses them. */
    @Test
    void contentEncryptionOtherThanGcmIsInvalidInput() {
        CmsEnvelope parsed = CmsEnvelope.parse(wrapFor(CERT_A));
        byte[] cbc = new CmsEnvelope(parsed.recipients(), new CmsEnvelope.Content("2.16.840.1.101.3.4.1.2",
                parsed.content().nonce(), 16, parsed.content().ciphertext())).encode();
        CloakException e = assertThrows(CloakException.class,
                () -> WRAPPER.unwrap(cbc, TestKeys.pkcs7Keyring(TestKeys.RSA_A, CERT_A), LAYER));
        assertOneLineNamingTheLayer(e);
        assertTrue(e.getMessage().contains("AES-GCM"), e.getMessage());
    }

    private static void assertOneLineNamingTheLayer(CloakException e) {
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(LAYER), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    // ---- Recipients: pkcs7:CERTIFICATE-FILE.

    @Test
    void recipientIsTheFirstCertificateOfTheFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("node.pem"),
                TestPki.pem("CERTIFICATE", CERT_A.getEncoded()) + TestPki.pem("CERTIFICATE", CERT_B.getEncoded()));
        Recipient.Pkcs7 r = assertInstanceOf(Recipient.Pkcs7.class, Recipients.parse("pkcs7:" + file));
        assertEquals(CERT_A, r.certificate());
        assertEquals("pkcs7", r.scheme());
        Path der = Files.write(dir.resolve("node.der"), CERT_B.getEncoded());
        assertEquals(CERT_B, ((Recipient.Pkcs7) Recipients.parse("pkcs7:" + der)).certificate());
    }

    @Test
    void badPkcs7RecipientsAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path ec = Files.writeString(dir.resolve("ec.pem"), TestPki.pem("CERTIFICATE",
                PKI.recipient("ec-node", TestKeys.EC_P256).getEncoded()));
        Path publicKey = Files.writeString(dir.resolve("rsa.pub"), TestPki.pem("PUBLIC KEY", TestKeys.RSA_A.getPublic().getEncoded()));
        CloakException e = assertThrows(CloakException.class, () -> Recipients.parse("pkcs7:" + ec));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains("RSA"), e.getMessage());
        e = assertThrows(CloakException.class, () -> Recipients.parse("pkcs7:" + publicKey));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains("x509 certificate"), e.getMessage());
        e = assertThrows(CloakException.class, () -> Recipients.parse("pkcs7:" + dir.resolve("missing.pem")));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = Pkcs7KeyWrapperTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no test resource " + name);
            }
            return in.readAllBytes();
        }
    }
}
