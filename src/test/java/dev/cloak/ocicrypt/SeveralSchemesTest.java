package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.keys.Keyring;
import dev.cloak.keys.PgpKeyEntry;
import dev.cloak.oci.Descriptor;
import dev.cloak.ocicrypt.keywrap.TestKeys;
import dev.cloak.testing.PgpKeys;
import dev.cloak.testing.TestPki;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.List;

import static dev.cloak.ocicrypt.Layers.assertFailure;
import static dev.cloak.ocicrypt.Layers.assertNamesLayer;
import static dev.cloak.ocicrypt.Layers.b64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One layer wrapped for several schemes at once, as when one node pool holds a JWE key and another a PKCS7
 * certificate: any usable key of any scheme decrypts, and a node with none is told about every scheme.
 */
class SeveralSchemesTest {
    private static final TestPki PKI = new TestPki("Pool B CA");
    private static final X509Certificate CERT_B = PKI.recipient("pool-b", TestKeys.RSA_B);
    private static final PGPSecretKeyRing POOL_C = PgpKeys.generate("Pool C <pool-c@cloak.test>", null);
    private static byte[] plaintext;
    private static Layers.Encrypted layer;

    @BeforeAll
    static void encryptForThreeSchemes() throws IOException {
        plaintext = Layers.random(200_000, 42);
        layer = Layers.encrypt(plaintext, TestKeys.recipient(TestKeys.RSA_A), TestKeys.pkcs7Recipient(CERT_B),
                TestKeys.pgpRecipient(POOL_C));
    }

    private static void assertDecryptsWith(Keyring keyring) throws IOException {
        MemorySink sink = new MemorySink();
        Layers.decrypt(layer.descriptor(), layer.ciphertext(), keyring, sink);
        sink.assertPublished();
        assertArrayEquals(plaintext, sink.published());
    }

    @Test
    void oneEntryPerSchemeInOrder() {
        assertEquals(List.of("jwe", "pkcs7", "pgp"),
                List.copyOf(EncryptionAnnotations.of(layer.descriptor()).wrappedKeys().keySet()));
    }

    @Test
    void jweKeyAloneDecrypts() throws IOException {
        assertDecryptsWith(TestKeys.keyring(TestKeys.RSA_A));
    }

    @Test
    void pkcs7KeyAndCertificateAloneDecrypt() throws IOException {
        assertDecryptsWith(TestKeys.pkcs7Keyring(TestKeys.RSA_B, CERT_B));
    }

    @Test
    void pgpKeyAloneDecrypts() throws IOException {
        assertDecryptsWith(TestKeys.pgpKeyring(POOL_C));
    }

    @Test
    void noUsableKeyIsNoKeyListingEverySchemeAndRecipient() {
        Keyring unrelated = TestKeys.pkcs7Keyring(TestKeys.RSA_OTHER, PKI.recipient("pool-x", TestKeys.RSA_OTHER),
                TestKeys.EC_OTHER).plus(TestKeys.pgpKeyring(PgpKeys.generate("Pool X <pool-x@cloak.test>", null)));
        MemorySink sink = new MemorySink();
        CloakException e = assertFailure(ErrorKind.NO_KEY,
                () -> Layers.decrypt(layer.descriptor(), layer.ciphertext(), unrelated, sink));
        String message = e.getMessage();
        assertNamesLayer(e, layer);
        assertTrue(message.startsWith(LayerDecryptor.MISSING_KEY), message);
        assertTrue(message.contains("jwe (RSA-OAEP RSA)"), message);
        assertTrue(message.contains("pkcs7 (certificate issuer CN=Pool B CA serial "
                + CERT_B.getSerialNumber().toString(16).toUpperCase() + ")"), message);
        String pgpKey = PgpKeyEntry.hexId(PgpKeys.encryptionKey(POOL_C).getKeyID());
        assertTrue(message.contains("pgp (RSA key " + pgpKey + ")"), message);
        assertTrue(message.contains("none of the 3 private keys"), "RSA, EC and OpenPGP keys all count: " + message);
        assertTrue(message.contains("with its x509 certificate"), message);
        sink.assertUntouched();
    }

    /** A malformed entry of one scheme does not stop another scheme's good entry from being used. */
    @Test
    void malformedPkcs7EntryDoesNotHideTheGoodJweEntry() throws IOException {
        Descriptor broken = Layers.withAnnotation(layer.descriptor(), EncryptionAnnotations.KEYS_PREFIX + "pkcs7",
                b64("not CMS at all"));
        MemorySink sink = new MemorySink();
        Layers.decrypt(broken, layer.ciphertext(), TestKeys.keyring(TestKeys.RSA_A), sink);
        assertArrayEquals(plaintext, sink.published());
    }

    /** When the malformed entry was the only one that could have worked, the node is told so, not "missing key". */
    @Test
    void malformedEntryOfTheOnlyUsableSchemeIsInvalidInput() {
        Descriptor pkcs7Only = Layers.withAnnotation(Layers.withAnnotation(Layers.withAnnotation(layer.descriptor(),
                        Layers.JWE, null), EncryptionAnnotations.KEYS_PREFIX + "pgp", null),
                EncryptionAnnotations.KEYS_PREFIX + "pkcs7", b64("not CMS at all"));
        CloakException e = assertFailure(ErrorKind.INVALID_INPUT,
                () -> Layers.DECRYPTOR.unwrap(pkcs7Only, TestKeys.pkcs7Keyring(TestKeys.RSA_B, CERT_B)));
        assertNamesLayer(e, layer);
    }
}
