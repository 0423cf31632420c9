package dev.cloak.keys;

import dev.cloak.testing.PgpKeys;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static dev.cloak.keys.TestKeys.PASSWORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OpenPGP keyrings as key files: what gpg exports, binary and armoured, with and without a passphrase. */
class PgpKeyParserTest {
    private static final Path SOURCE = Path.of("/etc/crio/keys/node.gpg");
    private static final PGPSecretKeyRing PLAIN = PgpKeys.generate("Node A <node-a@cloak.test>", null);
    private static final PGPSecretKeyRing LOCKED = PgpKeys.generate("Node B <node-b@cloak.test>", PASSWORD);

    private static KeyFile parse(byte[] content, String password) {
        return KeyFileParser.parse(SOURCE, content, password == null ? null : password.toCharArray());
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Exactly the encryption subkey of {@code ring}: the RSA primary key only signs and is left out. */
    private static PgpKeyEntry assertOnlyTheEncryptionSubkey(PGPSecretKeyRing ring, KeyFile parsed) {
        KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parsed);
        assertEquals(List.of(), keys.privateKeys());
        assertEquals(List.of(), keys.certificates());
        assertEquals(1, keys.pgpKeys().size(), () -> "keys: " + keys.pgpKeys());
        PgpKeyEntry entry = keys.pgpKeys().get(0);
        assertEquals(PgpKeys.encryptionKey(ring).getKeyID(), entry.keyId());
        assertEquals(SOURCE, entry.source());
        assertEquals("RSA-2048", entry.type());
        return entry;
    }

    private static String unusableReason(KeyFile parsed) {
        String reason = assertInstanceOf(KeyFile.Unusable.class, parsed).reason();
        assertFalse(reason.contains(PASSWORD), "the reason is logged and must not contain the password: " + reason);
        return reason;
    }

    @Test
    void binarySecretKeyring() {
        assertOnlyTheEncryptionSubkey(PLAIN, parse(PgpKeys.secretBinary(PLAIN), null));
    }

    @Test
    void armouredSecretKeyring() {
        String armoured = PgpKeys.secretArmoured(PLAIN);
        assertTrue(armoured.startsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----"), armoured);
        assertOnlyTheEncryptionSubkey(PLAIN, parse(ascii(armoured), null));
    }

    @Test
    void passwordIsIgnoredForAnUnprotectedKey() {
        assertOnlyTheEncryptionSubkey(PLAIN, parse(PgpKeys.secretBinary(PLAIN), "not needed"));
    }

    @Test
    void protectedKeyWithTheRightPassphrase() {
        assertOnlyTheEncryptionSubkey(LOCKED, parse(PgpKeys.secretBinary(LOCKED), PASSWORD));
        assertOnlyTheEncryptionSubkey(LOCKED, parse(ascii(PgpKeys.secretArmoured(LOCKED)), PASSWORD));
    }

    @Test
    void protectedKeyWithAWrongPassphrase() {
        String reason = unusableReason(parse(PgpKeys.secretBinary(LOCKED), "wrong-" + PASSWORD));
        assertTrue(reason.contains("OpenPGP") && reason.contains("password") && reason.contains("wrong"), reason);
    }

    @Test
    void protectedKeyWithoutPassphraseSaysHowToGiveOne() {
        String reason = unusableReason(parse(PgpKeys.secretBinary(LOCKED), null));
        assertTrue(reason.contains("OpenPGP") && reason.contains(".password") && reason.contains("FILE:PASSWORD"), reason);
    }

    @Test
    void publicKeyringIsPublicOnly() {
        assertInstanceOf(KeyFile.PublicOnly.class, parse(PgpKeys.publicBinary(PLAIN), null));
        assertInstanceOf(KeyFile.PublicOnly.class, parse(ascii(PgpKeys.publicArmoured(PLAIN)), null));
    }

    @Test
    void keyringWithoutAnEncryptionKeyIsUnusable() {
        String reason = unusableReason(parse(PgpKeys.secretBinary(PgpKeys.signOnly("Signer <s@cloak.test>")), null));
        assertTrue(reason.contains("decrypt"), reason);
    }

    /** {@code gpg --export-secret-keys A B} writes the two keyrings one after the other. */
    @Test
    void concatenatedKeyringsYieldEveryKey() {
        byte[] a = PgpKeys.secretBinary(PLAIN);
        byte[] b = PgpKeys.secretBinary(PgpKeys.generate("Node C <node-c@cloak.test>", null));
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertEquals(2, assertInstanceOf(KeyFile.Keys.class, parse(both, null)).pgpKeys().size());
    }

    @Test
    void armouredMessageIsNotAKey() {
        unusableReason(parse(ascii("-----BEGIN PGP MESSAGE-----\n\nhQEMA1Fh9vq1b8a2AQf/\n=Ab1c\n-----END PGP MESSAGE-----\n"), null));
    }

    @Test
    void truncatedKeyringIsUnusable() {
        byte[] full = PgpKeys.secretBinary(PLAIN);
        unusableReason(parse(java.util.Arrays.copyOf(full, full.length / 2), null));
    }

    @Test
    void entryShowsNeitherKeyMaterialNorPassphrase() {
        PgpKeyEntry entry = assertOnlyTheEncryptionSubkey(LOCKED, parse(PgpKeys.secretBinary(LOCKED), PASSWORD));
        String shown = entry.toString();
        assertEquals("OpenPGP RSA-2048 key " + entry.hexId() + " from " + SOURCE, shown);
        assertEquals(16, entry.hexId().length());
    }
}
