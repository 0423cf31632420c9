package dev.cloak.ocicrypt.keywrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.keys.KeyFile;
import dev.cloak.keys.KeyFileParser;
import dev.cloak.keys.Keyring;
import dev.cloak.keys.PgpKeyEntry;
import dev.cloak.testing.PgpKeys;
import org.bouncycastle.bcpg.CompressionAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPCompressedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PgpKeyWrapperTest {
    private static final String LAYER = "sha256:" + "ef".repeat(32);
    private static final byte[] OPTIONS = "{\"symkey\":\"c2VjcmV0\",\"cipheroptions\":{\"nonce\":\"bm9uY2U=\"}}"
            .getBytes(StandardCharsets.UTF_8);
    private static final String PASSPHRASE = "pgp-Passphrase-0a9c";
    private static final PgpKeyWrapper WRAPPER = new PgpKeyWrapper();
    private static final PGPSecretKeyRing ALICE = PgpKeys.generate("Alice <alice@cloak.test>", null);
    private static final PGPSecretKeyRing BOB = PgpKeys.generate("Bob Builder <bob@cloak.test>", PASSPHRASE);
    private static final PGPSecretKeyRing MALLORY = PgpKeys.generate("Mallory <mallory@cloak.test>", null);

    private static byte[] wrapFor(PGPSecretKeyRing... rings) {
        return WRAPPER.wrap(Arrays.stream(rings).map(r -> (Recipient) TestKeys.pgpRecipient(r)).toList(), OPTIONS);
    }

    private static Keyring load(byte[] file, String passphrase) {
        KeyFile parsed = KeyFileParser.parse(Path.of("node.gpg"), file, passphrase == null ? null : passphrase.toCharArray());
        return Keyring.of("test", parsed instanceof KeyFile.Keys keys ? List.of(keys) : List.of());
    }

    // ---- Round trips and key selection.

    @Test
    void roundTrip() {
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(wrapFor(ALICE), TestKeys.pgpKeyring(ALICE), LAYER));
    }

    @Test
    void eachOfSeveralRecipientsUnwrapsAloneAndWrongKeysGiveNull() {
        byte[] entry = wrapFor(ALICE, BOB);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.pgpKeyring(ALICE), LAYER));
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, load(PgpKeys.secretBinary(BOB), PASSPHRASE), LAYER));
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.pgpKeyring(MALLORY, ALICE), LAYER));
        assertNull(WRAPPER.unwrap(entry, TestKeys.pgpKeyring(MALLORY), LAYER));
        assertNull(WRAPPER.unwrap(entry, Keyring.empty("nowhere"), LAYER));
    }

    /** The passphrase unlocks the key when it loads; without the right one, there is no key to unwrap with. */
    @Test
    void passphraseProtectedKeyUnwrapsOnlyWithTheRightPassphrase() {
        byte[] entry = wrapFor(BOB);
        for (byte[] file : List.of(PgpKeys.secretBinary(BOB), PgpKeys.secretArmoured(BOB).getBytes(StandardCharsets.US_ASCII))) {
            assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, load(file, PASSPHRASE), LAYER));
            assertNull(WRAPPER.unwrap(entry, load(file, "wrong-" + PASSPHRASE), LAYER));
            assertNull(WRAPPER.unwrap(entry, load(file, null), LAYER));
            assertEquals(0, load(file, null).size());
        }
    }

    // ---- The message: what ocicrypt writes and reads.

    @Test
    void writesOneSessionKeyPerRecipientAes256IntegrityProtectedUncompressed() throws Exception {
        byte[] entry = wrapFor(ALICE, BOB);
        PGPEncryptedDataList list = assertInstanceOf(PGPEncryptedDataList.class,
                new BcPGPObjectFactory(new ByteArrayInputStream(entry)).nextObject());
        List<Long> ids = new ArrayList<>();
        list.forEach(d -> ids.add(((PGPPublicKeyEncryptedData) d).getKeyIdentifier().getKeyId()));
        assertEquals(List.of(PgpKeys.encryptionKey(ALICE).getKeyID(), PgpKeys.encryptionKey(BOB).getKeyID()), ids);

        PGPPublicKeyEncryptedData alice = (PGPPublicKeyEncryptedData) list.get(0);
        PgpKeyEntry key = TestKeys.pgpKeyring(ALICE).pgpKeys().get(0);
        BcPublicKeyDataDecryptorFactory decryptor = new BcPublicKeyDataDecryptorFactory(key.privateKey());
        assertTrue(alice.isIntegrityProtected());
        assertEquals(SymmetricKeyAlgorithmTags.AES_256, alice.getSymmetricAlgorithm(decryptor));
        Object first = new BcPGPObjectFactory(alice.getDataStream(decryptor)).nextObject();
        PGPLiteralData literal = assertInstanceOf(PGPLiteralData.class, first, "no compression layer");
        assertEquals("", literal.getFileName());
        assertEquals(0, literal.getModificationTime().getTime());
        assertArrayEquals(OPTIONS, literal.getInputStream().readAllBytes());
        assertTrue(alice.verify());
    }

    /** Skopeo's own output (see the README beside the fixture): x/crypto/openpgp, text mode, partial lengths. */
    @Test
    void readsWhatSkopeoWrote() throws IOException {
        Keyring keyring = load(fixture("skopeo-pgp-secret.asc"), null);
        byte[] entry = fixture("skopeo-pgp-entry.bin");

        JsonNode options = new ObjectMapper().readTree(WRAPPER.unwrap(entry, keyring, LAYER));

        assertEquals("sha256:364ecb8a8f875a57aed50fc9676c9c8a85cf62135219d7a5d79a6c7f92dd526c", options.get("digest").asText());
        assertEquals(32, Base64.getDecoder().decode(options.get("symkey").asText()).length);
        assertEquals(List.of("RSA key F04FB2228F3BBC02"), WRAPPER.describeRecipients(entry, LAYER));
        assertEquals(List.of("F04FB2228F3BBC02"), keyring.pgpKeys().stream().map(PgpKeyEntry::hexId).toList());
    }

    /** Other writers compress, and gpg --throw-keyids hides the recipient behind key ID 0: both are read. */
    @Test
    void readsCompressedMessagesForHiddenRecipients() throws Exception {
        byte[] entry = bouncyCastleMessage(true, true, PgpKeys.encryptionKey(MALLORY), PgpKeys.encryptionKey(ALICE));
        assertEquals(List.of("RSA key hidden (key ID 0)", "RSA key hidden (key ID 0)"), WRAPPER.describeRecipients(entry, LAYER));
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.pgpKeyring(ALICE), LAYER));
        assertNull(WRAPPER.unwrap(entry, TestKeys.pgpKeyring(PgpKeys.generate("Eve <eve@cloak.test>", null)), LAYER),
                "a hidden recipient is tried with every key, and none of Eve's fits");
    }

    /** Data without a modification detection code can be altered unnoticed; gpg refuses it too. */
    @Test
    void messageWithoutIntegrityProtectionIsInvalidInput() throws Exception {
        byte[] entry = bouncyCastleMessage(false, false, PgpKeys.encryptionKey(ALICE));
        CloakException e = assertThrows(CloakException.class, () -> WRAPPER.unwrap(entry, TestKeys.pgpKeyring(ALICE), LAYER));
        assertOneLineNamingTheLayer(e);
        assertTrue(e.getMessage().contains("integrity"), e.getMessage());
    }

    @Test
    void truncatedMessageForOurKeyIsInvalidInputAndForOthersNull() {
        byte[] good = wrapFor(ALICE);
        byte[] truncated = Arrays.copyOf(good, good.length - 30);
        assertOneLineNamingTheLayer(assertThrows(CloakException.class,
                () -> WRAPPER.unwrap(truncated, TestKeys.pgpKeyring(ALICE), LAYER)));
        assertNull(WRAPPER.unwrap(truncated, TestKeys.pgpKeyring(MALLORY), LAYER));
    }

    @Test
    void describesRecipientsByKeyId() {
        assertEquals(List.of("RSA key " + PgpKeyEntry.hexId(PgpKeys.encryptionKey(ALICE).getKeyID()),
                        "RSA key " + PgpKeyEntry.hexId(PgpKeys.encryptionKey(BOB).getKeyID())),
                WRAPPER.describeRecipients(wrapFor(ALICE, BOB), LAYER));
    }

    // ---- Malformed entries: INVALID_INPUT, one line naming the layer.

    static Stream<Arguments> malformedEntries() throws Exception {
        return Stream.of(
                Arguments.of("not OpenPGP", "an OpenPGP message".getBytes(StandardCharsets.UTF_8)),
                Arguments.of("empty", new byte[0]),
                Arguments.of("a public key, not a message", PgpKeys.publicBinary(ALICE)),
                Arguments.of("armoured instead of binary", armour(wrapFor(ALICE))),
                Arguments.of("encrypted to a passphrase only", passphraseOnlyMessage()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedEntries")
    void malformedEntryIsInvalidInputNamingTheLayer(String what, byte[] entry) {
        assertOneLineNamingTheLayer(assertThrows(CloakException.class,
                () -> WRAPPER.unwrap(entry, TestKeys.pgpKeyring(ALICE), LAYER)));
        assertOneLineNamingTheLayer(assertThrows(CloakException.class, () -> WRAPPER.describeRecipients(entry, LAYER)));
    }

    private static void assertOneLineNamingTheLayer(CloakException e) {
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(LAYER), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(e.getMessage().contains(PASSPHRASE), e.getMessage());
    }

    // ---- Recipients: pgp:FILE (pgp:NAME-OR-EMAIL needs gpg and is tested in SkopeoPkcs7PgpIT).

    @Test
    void recipientFileYieldsTheEncryptionSubkeyOfEveryKeyInIt(@TempDir Path dir) throws Exception {
        Path armoured = Files.writeString(dir.resolve("alice.asc"), PgpKeys.publicArmoured(ALICE));
        Path binary = Files.write(dir.resolve("bob.gpg"), PgpKeys.publicBinary(BOB));
        byte[] a = PgpKeys.publicBinary(ALICE);
        byte[] b = PgpKeys.publicBinary(BOB);
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        Path keyring = Files.write(dir.resolve("pubring.gpg"), both);

        assertEquals(List.of(PgpKeys.encryptionKey(ALICE).getKeyID()), keyIds(Recipients.parse("pgp:" + armoured)));
        assertEquals(List.of(PgpKeys.encryptionKey(BOB).getKeyID()), keyIds(Recipients.parse("pgp:" + binary)));
        assertEquals(List.of(PgpKeys.encryptionKey(ALICE).getKeyID(), PgpKeys.encryptionKey(BOB).getKeyID()),
                keyIds(Recipients.parse("pgp:" + keyring)));

        byte[] entry = WRAPPER.wrap(List.of(Recipients.parse("pgp:" + keyring)), OPTIONS);
        assertArrayEquals(OPTIONS, WRAPPER.unwrap(entry, TestKeys.pgpKeyring(ALICE), LAYER));
    }

    @Test
    void badPgpRecipientsAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path signOnly = Files.writeString(dir.resolve("signer.asc"), PgpKeys.publicArmoured(PgpKeys.signOnly("S <s@cloak.test>")));
        Path junk = Files.writeString(dir.resolve("junk.asc"), "not a key");
        CloakException e = assertThrows(CloakException.class, () -> Recipients.parse("pgp:" + signOnly));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains("S <s@cloak.test>") && e.getMessage().contains("encryption key"), e.getMessage());
        assertEquals(ErrorKind.INVALID_INPUT, assertThrows(CloakException.class, () -> Recipients.parse("pgp:" + junk)).kind());
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(CloakException.class,
                () -> Recipients.parse("pgp:" + dir.resolve("missing.asc"))).kind());
        assertEquals(ErrorKind.INVALID_INPUT, assertThrows(CloakException.class, () -> Recipients.parse("pgp:")).kind());
        CloakException nul = assertThrows(CloakException.class, () -> Recipients.parse("pgp:a\u0000b"));
        assertEquals(ErrorKind.INVALID_INPUT, nul.kind());
        assertFalse(nul.getMessage().contains("\u0000"), "control characters are not echoed: " + nul.getMessage());
    }

    /** ocicrypt's rule: the recipient is the user ID's name or its e-mail address, exactly. */
    @Test
    void userIdMatchesByNameOrAddress() {
        assertTrue(PgpRecipients.identifies("Bob Builder <bob@cloak.test>", "Bob Builder"));
        assertTrue(PgpRecipients.identifies("Bob Builder <bob@cloak.test>", "bob@cloak.test"));
        assertTrue(PgpRecipients.identifies("Bob Builder <bob@cloak.test>", "BOB@cloak.test"));
        assertTrue(PgpRecipients.identifies("\"Builder, Bob\" <bob@cloak.test>", "Builder, Bob"));
        assertTrue(PgpRecipients.identifies("bob@cloak.test", "bob@cloak.test"));
        assertTrue(PgpRecipients.identifies("Bob", "Bob"));
        assertFalse(PgpRecipients.identifies("Bob Builder <bob@cloak.test>", "Bob"));
        assertFalse(PgpRecipients.identifies("Bob Builder <bob@cloak.test>", "bob"));
        assertFalse(PgpRecipients.identifies("Bob Builder <bob@cloak.test>", "cloak.test"));
        assertFalse(PgpRecipients.identifies("Bobby <bobby@cloak.test>", "bob@cloak.test"));
    }

    // ---- helpers

    private static List<Long> keyIds(Recipient r) {
        return ((Recipient.Pgp) r).encryptionKeys().stream().map(PGPPublicKey::getKeyID).toList();
    }

    /** A message written with Bouncy Castle's own generators, independently of PgpKeyWrapper. */
    private static byte[] bouncyCastleMessage(boolean integrity, boolean hideAndCompress, PGPPublicKey... keys) throws Exception {
        PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(
                new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_128).setWithIntegrityPacket(integrity));
        for (PGPPublicKey key : keys) {
            generator.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(key).setUseWildcardRecipient(hideAndCompress));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream encrypted = generator.open(out, new byte[1 << 10])) {
            OutputStream body = encrypted;
            PGPCompressedDataGenerator compressor = new PGPCompressedDataGenerator(CompressionAlgorithmTags.ZIP);
            if (hideAndCompress) {
                body = compressor.open(encrypted);
            }
            try (OutputStream literal = new PGPLiteralDataGenerator().open(body, PGPLiteralData.BINARY, "opts.json",
                    OPTIONS.length, new Date())) {
                literal.write(OPTIONS);
            }
            compressor.close();
        }
        return out.toByteArray();
    }

    private static byte[] passphraseOnlyMessage() throws Exception {
        PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(
                new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256).setWithIntegrityPacket(true));
        generator.addMethod(new BcPBEKeyEncryptionMethodGenerator(PASSPHRASE.toCharArray()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream encrypted = generator.open(out, new byte[1 << 10]);
             OutputStream literal = new PGPLiteralDataGenerator().open(encrypted, PGPLiteralData.BINARY, "", OPTIONS.length,
                     new Date(0))) {
            literal.write(OPTIONS);
        }
        return out.toByteArray();
    }

    private static byte[] armour(byte[] binary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream armoured = new org.bouncycastle.bcpg.ArmoredOutputStream(out)) {
            armoured.write(binary);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = PgpKeyWrapperTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no test resource " + name);
            }
            return in.readAllBytes();
        }
    }
}
