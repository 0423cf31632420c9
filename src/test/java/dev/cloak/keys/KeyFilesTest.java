package dev.cloak.keys;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.testing.PgpKeys;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.cloak.keys.TestKeys.EC_256;
import static dev.cloak.keys.TestKeys.PASSWORD;
import static dev.cloak.keys.TestKeys.RSA;
import static dev.cloak.keys.TestKeys.RSA_2;
import static dev.cloak.keys.TestKeys.assertSameKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private static CloakException loadFails(String spec) {
        return assertThrows(CloakException.class, () -> KeyFiles.load(List.of(spec)));
    }

    private static void assertNoPassword(CloakException e) {
        assertFalse(e.getMessage().contains(PASSWORD), "message leaks the password: " + e.getMessage());
    }

    @Test
    void plainFile() throws Exception {
        Path key = write("node.pem", TestKeys.pkcs8Pem(RSA));

        Keyring keyring = KeyFiles.load(List.of(key.toString()));

        assertEquals(1, keyring.size());
        assertSameKey(RSA.getPrivate(), keyring.privateKeys().get(0).key());
        assertEquals(key, keyring.privateKeys().get(0).source());
        assertEquals("--key " + key, keyring.origin());
    }

    @Test
    void encryptedFileWithPasswordAfterTheColon() throws Exception {
        Path key = write("node.pem", TestKeys.encryptedPkcs8Pem(EC_256, PASSWORD));

        Keyring keyring = KeyFiles.load(List.of(key + ":" + PASSWORD));

        assertEquals(1, keyring.size());
        assertSameKey(EC_256.getPrivate(), keyring.privateKeys().get(0).key());
        assertFalse(keyring.origin().contains(PASSWORD), keyring.origin());
    }

    @Test
    void passwordMayItselfContainColons() throws Exception {
        String password = "a:b:" + PASSWORD;
        Path key = write("node.pem", TestKeys.legacyEncryptedPem(RSA, password));

        assertSameKey(RSA.getPrivate(), KeyFiles.load(List.of(key + ":" + password)).privateKeys().get(0).key());
    }

    @Test
    void passwordFileBesideTheKeyIsUsed() throws Exception {
        Path key = write("node.pem", TestKeys.encryptedPkcs8Pem(RSA, PASSWORD));
        write("node.pem.password", PASSWORD + "\n");

        assertSameKey(RSA.getPrivate(), KeyFiles.load(List.of(key.toString())).privateKeys().get(0).key());
    }

    @Test
    void pathContainingAColonThatExistsAsAFile() throws Exception {
        Path key = write("node:1.pem", TestKeys.pkcs8Pem(RSA));

        Keyring keyring = KeyFiles.load(List.of(key.toString()));

        assertEquals(1, keyring.size());
        assertEquals(key, keyring.privateKeys().get(0).source());
    }

    /**
     * The password is cut from the spec at the length of the normalised path, so a spec whose path
     * normalises shorter (a doubled slash, as "$DIR/key.pem" gives when DIR ends in a slash) gets the
     * wrong password: here ":PASSWORD" instead of "PASSWORD".
     */
    @Test
    void passwordIsFoundWhenThePathHasADoubledSlash() throws Exception {
        write("node.pem", TestKeys.encryptedPkcs8Pem(RSA, PASSWORD));

        Keyring keyring = KeyFiles.load(List.of(dir + "//node.pem:" + PASSWORD));

        assertEquals(1, keyring.size());
        assertSameKey(RSA.getPrivate(), keyring.privateKeys().get(0).key());
    }

    @Test
    void severalFilesAddUp() throws Exception {
        Path a = write("a.pem", TestKeys.pkcs8Pem(RSA));
        Path b = write("b.jwk", TestKeys.rsaJwk(RSA_2, "b-kid").toJSONString());
        Path c = write("c.crt", TestKeys.certificatePem(TestKeys.selfSigned(RSA, "c")));

        Keyring keyring = KeyFiles.load(List.of(a.toString(), b.toString(), c.toString()));

        assertEquals(2, keyring.size());
        assertEquals("b-kid", keyring.privateKeys().get(1).keyId());
        assertEquals(1, keyring.certificates().size());
        assertEquals("the --key files", keyring.origin());
    }

    @Test
    void openPgpSecretKeyringsLoadBinaryArmouredAndProtected() throws Exception {
        PGPSecretKeyRing plain = PgpKeys.generate("Node <node@cloak.test>", null);
        PGPSecretKeyRing locked = PgpKeys.generate("Locked <locked@cloak.test>", PASSWORD);
        Path binary = Files.write(dir.resolve("node.gpg"), PgpKeys.secretBinary(plain));
        Path armoured = write("locked.asc", PgpKeys.secretArmoured(locked));
        Path certificate = write("c.crt", TestKeys.certificatePem(TestKeys.selfSigned(RSA, "c")));

        Keyring keyring = KeyFiles.load(List.of(binary.toString(), armoured + ":" + PASSWORD, certificate.toString()));

        assertEquals(List.of(PgpKeys.encryptionKey(plain).getKeyID(), PgpKeys.encryptionKey(locked).getKeyID()),
                keyring.pgpKeys().stream().map(PgpKeyEntry::keyId).toList());
        assertEquals(2, keyring.size(), "OpenPGP secret keys count as keys that decrypt");
        assertEquals(1, keyring.certificates().size(), "certificates are kept beside them as before");
        assertFalse(keyring.origin().contains(PASSWORD), keyring.origin());
    }

    @Test
    void openPgpKeyringWithWrongPasswordFailsWithoutShowingIt() throws Exception {
        Path armoured = write("locked.asc", PgpKeys.secretArmoured(PgpKeys.generate("L <l@cloak.test>", "right-one")));

        CloakException e = loadFails(armoured + ":" + PASSWORD);

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(armoured.toString()) && e.getMessage().contains("wrong"), e.getMessage());
        assertNoPassword(e);
    }

    @Test
    void openPgpPublicKeyringIsNotADecryptionKey() throws Exception {
        Path pub = write("recipient.asc", PgpKeys.publicArmoured(PgpKeys.generate("R <r@cloak.test>", null)));

        CloakException e = loadFails(pub.toString());

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains("public"), e.getMessage());
    }

    @Test
    void noSpecsIsAnEmptyKeyring() {
        assertEquals(0, KeyFiles.load(List.of()).size());
    }

    @Test
    void missingFileIsNotFoundAndNamesTheFile() {
        Path missing = dir.resolve("missing.pem");

        CloakException e = loadFails(missing.toString());

        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void missingFileWithPasswordNamesTheFileButNotThePassword() {
        Path missing = dir.resolve("missing.pem");

        CloakException e = loadFails(missing + ":" + PASSWORD);

        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertNoPassword(e);
    }

    @Test
    void publicKeyOnlyIsInvalidInput() throws Exception {
        Path key = write("recipient.pub", TestKeys.publicPem(RSA));

        CloakException e = loadFails(key.toString());

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(key.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("public"), e.getMessage());
    }

    @Test
    void garbageFileIsInvalidInputNamingTheFile() throws Exception {
        Path junk = write("junk.pem", "not a key\n");

        CloakException e = loadFails(junk + ":" + PASSWORD);

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
        assertNoPassword(e);
    }

    @Test
    void wrongPasswordIsInvalidInputWithoutThePassword() throws Exception {
        Path key = write("node.pem", TestKeys.encryptedPkcs8Pem(RSA, "the-right-one"));

        CloakException e = loadFails(key + ":" + PASSWORD);

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(key.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("password"), e.getMessage());
        assertNoPassword(e);
    }

    @Test
    void encryptedKeyWithoutPasswordSaysHowToGiveOne() throws Exception {
        Path key = write("node.pem", TestKeys.encryptedPkcs8Pem(RSA, PASSWORD));

        CloakException e = loadFails(key.toString());

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(".password"), e.getMessage());
        assertNoPassword(e);
    }

    @Test
    void oneUnusableFileFailsTheWholeLoad() throws Exception {
        Path good = write("good.pem", TestKeys.pkcs8Pem(RSA));
        Path junk = write("junk.pem", "nothing to see\n");

        CloakException e = assertThrows(CloakException.class,
                () -> KeyFiles.load(List.of(good.toString(), junk.toString())));

        assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
    }

    @Test
    void directoryIsNotAKeyFile() {
        CloakException e = loadFails(dir.toString());

        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }
}
