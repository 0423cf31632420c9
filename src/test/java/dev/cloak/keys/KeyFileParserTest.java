package dev.cloak.keys;

import com.nimbusds.jose.jwk.Curve;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Random;

import static dev.cloak.keys.TestKeys.EC_256;
import static dev.cloak.keys.TestKeys.EC_384;
import static dev.cloak.keys.TestKeys.PASSWORD;
import static dev.cloak.keys.TestKeys.RSA;
import static dev.cloak.keys.TestKeys.RSA_2;
import static dev.cloak.keys.TestKeys.assertSameKey;
import static dev.cloak.keys.TestKeys.assertSingleKey;
import static dev.cloak.keys.TestKeys.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyFileParserTest {
    private static final Path SOURCE = Path.of("/etc/crio/keys/test.key");

    private static KeyFile parse(String content) {
        return parse(bytes(content), null);
    }

    private static KeyFile parse(byte[] content, String password) {
        return KeyFileParser.parse(SOURCE, content, password == null ? null : password.toCharArray());
    }

    /** Unusable, with a reason that never echoes the password (it ends up in a log line). */
    private static String unusableReason(KeyFile parsed) {
        KeyFile.Unusable unusable = assertInstanceOf(KeyFile.Unusable.class, parsed);
        assertNotNull(unusable.reason());
        assertFalse(unusable.reason().isBlank(), "reason is empty");
        assertFalse(unusable.reason().contains(PASSWORD), "reason contains the password: " + unusable.reason());
        return unusable.reason();
    }

    private static void assertWrongPassword(KeyFile parsed) {
        String reason = unusableReason(parsed);
        assertTrue(reason.contains("password") && reason.contains("wrong"), reason);
    }

    private static void assertMissingPassword(KeyFile parsed) {
        String reason = unusableReason(parsed);
        assertTrue(reason.contains(".password"), reason);
    }

    @Nested
    class Pem {
        @Test
        void pkcs1Rsa() {
            String pem = TestKeys.pkcs1Pem(RSA);
            assertTrue(pem.startsWith("-----BEGIN RSA PRIVATE KEY-----"), pem);
            assertSingleKey(RSA, parse(pem));
        }

        @Test
        void pkcs8Rsa() {
            String pem = TestKeys.pkcs8Pem(RSA);
            assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----"), pem);
            assertSingleKey(RSA, parse(pem));
        }

        @Test
        void pkcs8Ec() {
            assertSingleKey(EC_256, parse(TestKeys.pkcs8Pem(EC_256)));
            assertSingleKey(EC_384, parse(TestKeys.pkcs8Pem(EC_384)));
        }

        @Test
        void sec1Ec() {
            String pem = TestKeys.sec1Pem(EC_256);
            assertTrue(pem.startsWith("-----BEGIN EC PRIVATE KEY-----"), pem);
            assertSingleKey(EC_256, parse(pem));
            assertSingleKey(EC_384, parse(TestKeys.sec1Pem(EC_384)));
        }

        @Test
        void sec1EcAfterEcParametersBlock() {
            String pem = TestKeys.sec1PemWithParameters(EC_384);
            assertTrue(pem.startsWith("-----BEGIN EC PARAMETERS-----"), pem);
            assertSingleKey(EC_384, parse(pem));
        }

        @Test
        void sourceAndNoKeyIdAreRecorded() {
            KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parse(TestKeys.pkcs8Pem(RSA)));
            PrivateKeyEntry entry = keys.privateKeys().get(0);
            assertEquals(SOURCE, entry.source());
            assertNull(entry.keyId());
            assertEquals("RSA-2048", entry.type());
        }

        @Test
        void surroundingWhitespaceIsIgnored() {
            assertSingleKey(RSA, parse("\n\n  " + TestKeys.pkcs8Pem(RSA) + "\n\n"));
        }

        /**
         * RFC 7468 section 2: "Data before the encapsulation boundaries are permitted, and parsers MUST NOT
         * malfunction when processing such data." {@code openssl pkcs12 -nodes} writes such "Bag Attributes".
         */
        @Test
        void textBeforeTheBeginLineIsIgnored() {
            String pem = "Bag Attributes\n    localKeyID: 01 00 00 00 \nKey Attributes: <No Attributes>\n"
                    + TestKeys.pkcs8Pem(RSA);
            assertSingleKey(RSA, parse(pem));
        }
    }

    @Nested
    class Der {
        @Test
        void pkcs1Rsa() {
            assertSingleKey(RSA, parse(TestKeys.pkcs1Der(RSA), null));
        }

        @Test
        void pkcs8Rsa() {
            assertSingleKey(RSA, parse(TestKeys.pkcs8Der(RSA), null));
        }

        @Test
        void pkcs8Ec() {
            assertSingleKey(EC_256, parse(TestKeys.pkcs8Der(EC_256), null));
        }

        @Test
        void sec1Ec() {
            assertSingleKey(EC_256, parse(TestKeys.sec1Der(EC_256), null));
            assertSingleKey(EC_384, parse(TestKeys.sec1Der(EC_384), null));
        }
    }

    @Nested
    class Encrypted {
        @Test
        void pkcs8PemWithRightPassword() {
            String pem = TestKeys.encryptedPkcs8Pem(RSA, PASSWORD);
            assertTrue(pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), pem);
            assertSingleKey(RSA, parse(bytes(pem), PASSWORD));
        }

        @Test
        void pkcs8PemEcWithRightPassword() {
            assertSingleKey(EC_256, parse(bytes(TestKeys.encryptedPkcs8Pem(EC_256, PASSWORD)), PASSWORD));
        }

        @Test
        void pkcs8DerWithRightPassword() {
            assertSingleKey(RSA, parse(TestKeys.encryptedPkcs8Der(RSA, PASSWORD), PASSWORD));
        }

        @Test
        void pkcs8PemWithWrongPassword() {
            assertWrongPassword(parse(bytes(TestKeys.encryptedPkcs8Pem(RSA, PASSWORD)), "wrong-" + PASSWORD));
        }

        @Test
        void pkcs8DerWithWrongPassword() {
            assertWrongPassword(parse(TestKeys.encryptedPkcs8Der(RSA, PASSWORD), "wrong-" + PASSWORD));
        }

        @Test
        void pkcs8PemWithoutPasswordPointsAtThePasswordFile() {
            assertMissingPassword(parse(bytes(TestKeys.encryptedPkcs8Pem(RSA, PASSWORD)), null));
        }

        @Test
        void pkcs8DerWithoutPasswordPointsAtThePasswordFile() {
            assertMissingPassword(parse(TestKeys.encryptedPkcs8Der(RSA, PASSWORD), null));
        }

        @Test
        void legacyPemWithRightPassword() {
            String pem = TestKeys.legacyEncryptedPem(RSA, PASSWORD);
            assertTrue(pem.contains("Proc-Type: 4,ENCRYPTED"), pem);
            assertSingleKey(RSA, parse(bytes(pem), PASSWORD));
        }

        @Test
        void legacyPemWithWrongPassword() {
            assertWrongPassword(parse(bytes(TestKeys.legacyEncryptedPem(RSA, PASSWORD)), "wrong-" + PASSWORD));
        }

        @Test
        void legacyPemWithoutPassword() {
            assertMissingPassword(parse(bytes(TestKeys.legacyEncryptedPem(RSA, PASSWORD)), null));
        }

        @Test
        void passwordIsIgnoredForAnUnencryptedKey() {
            assertSingleKey(RSA, parse(bytes(TestKeys.pkcs8Pem(RSA)), PASSWORD));
        }
    }

    @Nested
    class Jwk {
        @Test
        void privateRsaKeepsKid() {
            KeyFile parsed = parse(TestKeys.rsaJwk(RSA, "rsa-kid-1").toJSONString());
            assertSingleKey(RSA, parsed);
            assertEquals("rsa-kid-1", ((KeyFile.Keys) parsed).privateKeys().get(0).keyId());
        }

        @Test
        void privateEcKeepsKid() {
            KeyFile parsed = parse(TestKeys.ecJwk(EC_384, Curve.P_384, "ec-kid-1").toJSONString());
            assertSingleKey(EC_384, parsed);
            assertEquals("ec-kid-1", ((KeyFile.Keys) parsed).privateKeys().get(0).keyId());
        }

        @Test
        void jwkWithoutKidHasNullKeyId() {
            KeyFile parsed = parse(TestKeys.rsaJwk(RSA, null).toJSONString());
            assertSingleKey(RSA, parsed);
            assertNull(((KeyFile.Keys) parsed).privateKeys().get(0).keyId());
        }

        @Test
        void setYieldsEveryPrivateKeyWithItsKid() {
            String json = TestKeys.jwkSet(TestKeys.rsaJwk(RSA, "a"), TestKeys.ecJwk(EC_256, Curve.P_256, "b"));
            KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parse(json));
            assertEquals(2, keys.privateKeys().size());
            assertEquals("a", keys.privateKeys().get(0).keyId());
            assertSameKey(RSA.getPrivate(), keys.privateKeys().get(0).key());
            assertEquals("b", keys.privateKeys().get(1).keyId());
            assertSameKey(EC_256.getPrivate(), keys.privateKeys().get(1).key());
        }

        @Test
        void setMixingPublicAndPrivateKeysYieldsOnlyThePrivateOnes() {
            String json = TestKeys.jwkSet(TestKeys.rsaJwk(RSA_2, "pub").toPublicJWK(), TestKeys.rsaJwk(RSA, "priv"));
            KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parse(json));
            assertEquals(1, keys.privateKeys().size());
            assertEquals("priv", keys.privateKeys().get(0).keyId());
        }

        @Test
        void publicJwkIsPublicOnly() {
            assertInstanceOf(KeyFile.PublicOnly.class, parse(TestKeys.rsaJwk(RSA, "k").toPublicJWK().toJSONString()));
            assertInstanceOf(KeyFile.PublicOnly.class,
                    parse(TestKeys.ecJwk(EC_256, Curve.P_256, "k").toPublicJWK().toJSONString()));
        }

        @Test
        void publicJwkSetIsPublicOnly() {
            assertInstanceOf(KeyFile.PublicOnly.class, parse(TestKeys.jwkSet(TestKeys.rsaJwk(RSA, "k").toPublicJWK())));
        }

        /** A single JWK is told from a set by a substring search for "keys", which a kid can contain. */
        @Test
        void singleJwkWhoseKidIsKeysIsNotMistakenForASet() {
            KeyFile parsed = parse(TestKeys.rsaJwk(RSA, "keys").toJSONString());
            assertSingleKey(RSA, parsed);
            assertEquals("keys", ((KeyFile.Keys) parsed).privateKeys().get(0).keyId());
        }

        @Test
        void brokenJsonIsUnusable() {
            unusableReason(parse("{\"kty\":\"RSA\", \"n\": "));
        }
    }

    @Nested
    class CertificatesAndPublicKeys {
        private final X509Certificate certificate = TestKeys.selfSigned(RSA, "cloak-test");

        @Test
        void pemPublicKeyIsPublicOnly() {
            assertInstanceOf(KeyFile.PublicOnly.class, parse(TestKeys.publicPem(RSA)));
            assertInstanceOf(KeyFile.PublicOnly.class, parse(TestKeys.publicPem(EC_256)));
        }

        @Test
        void derPublicKeyIsPublicOnly() {
            assertInstanceOf(KeyFile.PublicOnly.class, parse(RSA.getPublic().getEncoded(), null));
        }

        @Test
        void pemCertificateIsOneCertificate() throws Exception {
            KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parse(TestKeys.certificatePem(certificate)));
            assertEquals(0, keys.privateKeys().size());
            assertEquals(1, keys.certificates().size());
            assertArrayEquals(certificate.getEncoded(), keys.certificates().get(0).certificate().getEncoded());
            assertEquals(SOURCE, keys.certificates().get(0).source());
        }

        @Test
        void derCertificateIsOneCertificate() throws Exception {
            KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parse(certificate.getEncoded(), null));
            assertEquals(0, keys.privateKeys().size());
            assertEquals(1, keys.certificates().size());
            assertArrayEquals(certificate.getEncoded(), keys.certificates().get(0).certificate().getEncoded());
        }

        @Test
        void certificateAndKeyInOnePem() throws Exception {
            String pem = TestKeys.certificatePem(certificate) + TestKeys.pkcs1Pem(RSA);
            KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parse(pem));
            assertEquals(1, keys.privateKeys().size());
            assertSameKey(RSA.getPrivate(), keys.privateKeys().get(0).key());
            assertEquals(1, keys.certificates().size());
            assertArrayEquals(certificate.getEncoded(), keys.certificates().get(0).certificate().getEncoded());
        }

        @Test
        void publicKeyBesideAPrivateKeyDoesNotHideIt() {
            assertSingleKey(EC_256, parse(TestKeys.publicPem(EC_256) + TestKeys.pkcs8Pem(EC_256)));
        }
    }

    @Nested
    class NotKeys {
        @Test
        void garbageText() {
            unusableReason(parse("this is not a key at all\n"));
        }

        @Test
        void emptyFile() {
            unusableReason(parse(new byte[0], null));
        }

        @Test
        void whitespaceOnly() {
            unusableReason(parse(" \n\t\n"));
        }

        @Test
        void readme() {
            unusableReason(parse("# Keys\n\nPut the node's private keys here, one per file.\n"
                    + "Encrypted keys need a NAME.password file beside them.\n"));
        }

        @Test
        void randomBytes() {
            byte[] random = new byte[1024];
            new Random(42).nextBytes(random);
            unusableReason(parse(random, null));
        }

        @Test
        void randomBytesWithPassword() {
            byte[] random = new byte[300];
            new Random(7).nextBytes(random);
            unusableReason(parse(random, PASSWORD));
        }

        @Test
        void truncatedPem() {
            String pem = TestKeys.pkcs8Pem(RSA);
            unusableReason(parse(pem.substring(0, pem.length() / 2)));
        }

        @Test
        void truncatedDer() {
            byte[] der = TestKeys.pkcs8Der(RSA);
            unusableReason(parse(java.util.Arrays.copyOf(der, der.length / 2), null));
        }

        /** Armour that looks like an OpenPGP key but decodes to nothing: said to be unreadable, not ignored. */
        @Test
        void garbledOpenPgpArmour() {
            String armored = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
                    + "lQOYBGVfY2wBCADGyj2a7ZzTQ0y8Hd7xQ8T0cWlq1sT7yX1f6xFhQ0b2Y3mK9Xj\n"
                    + "=Ab1c\n-----END PGP PRIVATE KEY BLOCK-----\n";
            String reason = unusableReason(parse(armored));
            assertTrue(reason.contains("OpenPGP"), reason);
        }

        @Test
        void bareButNotYamlPkcs11Uri() {
            String reason = unusableReason(parse("pkcs11:token=node;object=key1?module-name=softhsm2&pin-value=s3cret"));
            assertTrue(reason.contains("bare PKCS#11 URI") && reason.contains("pkcs11: {uri:"), reason);
            assertFalse(reason.contains("s3cret"), reason);
        }

        @Test
        void pkcs11KeyFileWithABrokenUriOrYaml() {
            for (String yaml : java.util.List.of("pkcs11:\n  uri: pkcs11:token=t;bogus=1?pin-value=s3cret\n",
                    "pkcs11:\n  uri: [unclosed\n  pin: s3cret\n", "pkcs11:\n  path: x\n",
                    "pkcs11:\n  uri: pkcs11:token=t\nmodule:\n  env: [s3cret]\n")) {
                String reason = unusableReason(parse(yaml));
                assertFalse(reason.contains("s3cret"), reason);
            }
        }

        @Test
        void pemOfAnUnknownKind() {
            unusableReason(parse(TestKeys.pem("OPENSSH PRIVATE KEY", new byte[] {1, 2, 3, 4})));
        }

        @Test
        void pemOfOnlyEcParameters() {
            unusableReason(parse(TestKeys.pem("EC PARAMETERS", TestKeys.curveOidDer(EC_256))));
        }
    }

    @Nested
    class PublicKeyForEncryption {
        private static void assertSamePublicKey(PublicKey expected, PublicKey actual) {
            assertNotNull(actual);
            assertEquals(expected.getAlgorithm(), actual.getAlgorithm());
            assertArrayEquals(expected.getEncoded(), actual.getEncoded());
        }

        @Test
        void pemSpki() {
            assertSamePublicKey(RSA.getPublic(), KeyFileParser.publicKey(bytes(TestKeys.publicPem(RSA))));
            assertSamePublicKey(EC_256.getPublic(), KeyFileParser.publicKey(bytes(TestKeys.publicPem(EC_256))));
        }

        @Test
        void derSpki() {
            assertSamePublicKey(RSA.getPublic(), KeyFileParser.publicKey(RSA.getPublic().getEncoded()));
            assertSamePublicKey(EC_384.getPublic(), KeyFileParser.publicKey(EC_384.getPublic().getEncoded()));
        }

        @Test
        void jwk() {
            String rsa = TestKeys.rsaJwk(RSA, "r").toPublicJWK().toJSONString();
            String ec = TestKeys.ecJwk(EC_256, Curve.P_256, "e").toPublicJWK().toJSONString();
            assertSamePublicKey(RSA.getPublic(), KeyFileParser.publicKey(bytes(rsa)));
            assertSamePublicKey(EC_256.getPublic(), KeyFileParser.publicKey(bytes(ec)));
        }

        @Test
        void pemCertificate() {
            X509Certificate certificate = TestKeys.selfSigned(RSA, "recipient");
            assertSamePublicKey(RSA.getPublic(), KeyFileParser.publicKey(bytes(TestKeys.certificatePem(certificate))));
        }

        /** Recipients promises "PEM, DER, JWK or an x509 certificate"; a DER certificate is both. */
        @Test
        void derCertificate() throws Exception {
            X509Certificate certificate = TestKeys.selfSigned(RSA, "recipient");
            assertSamePublicKey(RSA.getPublic(), KeyFileParser.publicKey(certificate.getEncoded()));
        }

        @Test
        void garbageIsNull() {
            assertNull(KeyFileParser.publicKey(bytes("not a key")));
            assertNull(KeyFileParser.publicKey(new byte[0]));
            assertNull(KeyFileParser.publicKey(bytes("{\"kty\":")));
            byte[] random = new byte[512];
            new Random(3).nextBytes(random);
            assertNull(KeyFileParser.publicKey(random));
        }

        @Test
        void pemWithoutAnyPublicKeyIsNull() {
            assertNull(KeyFileParser.publicKey(bytes(TestKeys.pem("EC PARAMETERS", TestKeys.curveOidDer(EC_256)))));
        }
    }

    @Test
    void utf8JwkContentIsReadAsUtf8() {
        String json = TestKeys.rsaJwk(RSA, "clé-ü").toJSONString();
        KeyFile parsed = KeyFileParser.parse(SOURCE, json.getBytes(StandardCharsets.UTF_8), null);
        assertSingleKey(RSA, parsed);
        assertEquals("clé-ü", ((KeyFile.Keys) parsed).privateKeys().get(0).keyId());
    }

    @Test
    void keysForDifferentPairsDiffer() {
        // Guards the helpers: if two generated pairs compared equal, every "same key" assertion would be vacuous.
        KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parse(TestKeys.pkcs8Pem(RSA_2)));
        assertFalse(java.util.Arrays.equals(RSA.getPrivate().getEncoded(), keys.privateKeys().get(0).key().getEncoded()));
    }

    @Test
    void ocicryptsPkcs11YamlKeyFileIsATokenKeyReference() {
        String yaml = "# a key in the node's token\npkcs11:\n  uri: \"pkcs11:token=node;object=imgenc;id=%01?module-name=softhsm2"
                + "&pin-value=s3cret\"\nmodule:\n  env:\n    SOFTHSM2_CONF: /etc/softhsm/softhsm2.conf\n";
        KeyFile parsed = KeyFileParser.parse(java.nio.file.Path.of("/etc/crio/keys/hsm.yaml"),
                yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
        KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parsed);
        assertTrue(keys.privateKeys().isEmpty());
        dev.cloak.pkcs11.Pkcs11KeyRef ref = keys.pkcs11Keys().get(0);
        assertEquals("imgenc", ref.uri().path("object"));
        assertEquals("s3cret", ref.uri().query("pin-value"));
        assertEquals(java.util.Map.of("SOFTHSM2_CONF", "/etc/softhsm/softhsm2.conf"), ref.env());
        assertFalse(ref.toString().contains("s3cret"), ref.toString());
        assertTrue(ref.toString().contains("/etc/crio/keys/hsm.yaml"), ref.toString());
    }
}
