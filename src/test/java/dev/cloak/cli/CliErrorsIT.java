package dev.cloak.cli;

import dev.cloak.testing.Cmd;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a user sees when something is wrong: one line on stderr, a distinct exit code, nothing left behind. */
class CliErrorsIT {
    private static final String TAG = "v1";

    @TempDir
    static Path dir;
    static Path encrypted;
    static Path rsaPrivate;
    static Path otherPrivate;

    @BeforeAll
    static void encryptedImage() throws IOException {
        Layouts.busybox(dir, TAG, "hello");
        KeyPair rsa = PemKeys.rsa();
        rsaPrivate = PemKeys.writePkcs8(rsa, dir.resolve("rsa.pem"));
        Path pub = PemKeys.writePublic(rsa, dir.resolve("rsa.pub"));
        otherPrivate = PemKeys.writePkcs8(PemKeys.rsa(), dir.resolve("other.pem"));
        Cmd.cloak(dir, "encrypt", "-r", "jwe:" + pub, "oci:" + dir.resolve("plain") + ":" + TAG,
                "oci:" + dir.resolve("enc") + ":" + TAG).ok();
        encrypted = dir.resolve("enc");
    }

    private static void assertOneLine(Cmd.Result r, int exit) {
        assertEquals(exit, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "expected exactly one line on stderr, got: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertTrue(r.err().startsWith("cloak: "), r.err());
    }

    @Test
    void wrongKeyNamesTheLayerAndLeavesNoDestination() throws IOException {
        Path dest = dir.resolve("wrong-key-out");
        Cmd.Result r = Cmd.cloak(dir, "decrypt", "--key", otherPrivate.toString(), "oci:" + encrypted + ":" + TAG,
                "oci:" + dest + ":" + TAG);
        assertOneLine(r, ExitCodes.NO_KEY);
        assertTrue(r.err().contains("missing private key needed for decryption"), r.err());
        assertTrue(r.err().contains(Layouts.layerDigests(encrypted, TAG).get(0)), "names the layer digest: " + r.err());
        assertTrue(r.err().contains("RSA-OAEP"), "says what it is encrypted for: " + r.err());
        assertFalse(Files.exists(dest), "nothing may be left behind");
    }

    /** A copy of the encrypted image whose last layer has one flipped bit in the middle. */
    private static Path tamperedCopy(String name) throws IOException {
        Path copy = dir.resolve(name);
        Cmd.run(dir, "cp", "-a", encrypted.toString(), copy.toString()).ok();
        Path blob = Layouts.blob(copy, Layouts.layerDigests(copy, TAG).get(1));
        try (RandomAccessFile f = new RandomAccessFile(blob.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x01);
        }
        return copy;
    }

    @Test
    void tamperedLayerFailsIntegrityAndLeavesNoDestination() throws IOException {
        Path copy = tamperedCopy("tampered");
        Path dest = dir.resolve("tampered-out");
        Cmd.Result r = Cmd.cloak(dir, "decrypt", "--key", rsaPrivate.toString(), "oci:" + copy + ":" + TAG,
                "oci:" + dest + ":" + TAG);
        assertOneLine(r, ExitCodes.INTEGRITY);
        assertTrue(r.err().contains(Layouts.layerDigests(copy, TAG).get(1)), r.err());
        assertFalse(Files.exists(dest), "the decrypted first layer must be rolled back too: " + listing(dest));
    }

    @Test
    void failedDecryptIntoAnExistingLayoutRemovesOnlyWhatItAdded() throws IOException {
        Path copy = tamperedCopy("tampered-2");
        Path dest = dir.resolve("existing");
        Cmd.run(dir, "cp", "-a", dir.resolve("plain").toString(), dest.toString()).ok();
        Files.delete(Layouts.blob(dest, Layouts.layerDigests(dest, TAG).get(0)));
        List<String> before = listing(dest);
        Cmd.Result r = Cmd.cloak(dir, "decrypt", "--key", rsaPrivate.toString(), "oci:" + copy + ":" + TAG,
                "oci:" + dest + ":other");
        assertEquals(ExitCodes.INTEGRITY, r.exit(), r.err());
        assertEquals(before, listing(dest), "the layer decrypted before the failure must be removed again");
    }

    @Test
    void unknownTagListsTheTags() {
        Cmd.Result r = Cmd.cloak(dir, "inspect", "oci:" + encrypted + ":nope");
        assertOneLine(r, ExitCodes.NOT_FOUND);
        assertTrue(r.err().contains("\"nope\"") && r.err().contains(TAG), r.err());
    }

    @Test
    void notALayout() {
        Cmd.Result r = Cmd.cloak(dir, "inspect", "oci:" + dir.resolve("nothing-here") + ":x");
        assertOneLine(r, ExitCodes.NOT_FOUND);
        assertTrue(r.err().contains("not an OCI image layout"), r.err());
    }

    @Test
    void publicKeyGivenAsDecryptionKey() {
        Cmd.Result r = Cmd.cloak(dir, "decrypt", "--key", dir.resolve("rsa.pub").toString(),
                "oci:" + encrypted + ":" + TAG, "oci:" + dir.resolve("pub-out") + ":" + TAG);
        assertOneLine(r, ExitCodes.USAGE);
        assertTrue(r.err().contains("only a public key"), r.err());
    }

    @Test
    void recipientThatIsNotAKey() {
        Cmd.Result r = Cmd.cloak(dir, "encrypt", "-r", "jwe:" + dir.resolve("plain/index.json"),
                "oci:" + dir.resolve("plain") + ":" + TAG, "oci:" + dir.resolve("bad-recipient") + ":" + TAG);
        assertOneLine(r, ExitCodes.USAGE);
        assertTrue(r.err().contains("holds no RSA or EC public key"), r.err());
        assertFalse(Files.exists(dir.resolve("bad-recipient")));
    }

    @Test
    void layerIndexOutOfRange() {
        Cmd.Result r = Cmd.cloak(dir, "encrypt", "-r", "jwe:" + dir.resolve("rsa.pub"), "--layer", "5",
                "oci:" + dir.resolve("plain") + ":" + TAG, "oci:" + dir.resolve("bad-layer") + ":" + TAG);
        assertOneLine(r, ExitCodes.USAGE);
        assertTrue(r.err().contains("--layer 5 is out of range"), r.err());
        assertFalse(Files.exists(dir.resolve("bad-layer")));
    }

    @Test
    void alreadyEncryptedLayerWithoutKeyCannotGetMoreRecipients() {
        Cmd.Result r = Cmd.cloak(dir, "encrypt", "-r", "jwe:" + dir.resolve("rsa.pub"),
                "oci:" + encrypted + ":" + TAG, "oci:" + dir.resolve("rewrap-out") + ":" + TAG);
        assertOneLine(r, ExitCodes.NO_KEY);
        assertFalse(Files.exists(dir.resolve("rewrap-out")));
    }

    @Test
    void inspectShowsRecipientsPerLayer() throws IOException {
        Cmd.Result r = Cmd.cloak(dir, "inspect", "oci:" + encrypted + ":" + TAG).ok();
        List<String> layers = Layouts.layerDigests(encrypted, TAG);
        for (String digest : layers) {
            String shortDigest = digest.substring(0, "sha256:".length() + 12);
            assertTrue(r.out().lines().anyMatch(l -> l.contains(shortDigest) && l.contains("+encrypted")
                    && l.contains("jwe (RSA-OAEP RSA)")), r.out());
        }
    }

    @Test
    void usageErrorsAreOneLinePlusAHint() {
        Cmd.Result r = Cmd.cloak(dir, "decrypt", "--bogus", "oci:a", "oci:b");
        assertEquals(ExitCodes.USAGE, r.exit());
        assertTrue(r.err().contains("--bogus"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    private static List<String> listing(Path root) {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (var s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
