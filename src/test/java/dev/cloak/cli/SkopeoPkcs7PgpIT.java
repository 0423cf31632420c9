package dev.cloak.cli;

import dev.cloak.testing.Cmd;
import dev.cloak.testing.GpgHome;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interoperability with Debian's skopeo for the PKCS7 and OpenPGP schemes: what skopeo encrypts (for an x509
 * certificate, for a key in the gpg keyring) cloak decrypts, and what cloak encrypts skopeo decrypts, with
 * the key files each tool takes: a private key plus its certificate, a gpg secret keyring export.
 */
class SkopeoPkcs7PgpIT {
    private static final String TAG = "v1";
    private static final String ENCRYPTED = "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
    private static final String PLAIN = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static final String NODE = "node@cloak.test";
    private static final String LOCKED = "locked@cloak.test";
    private static final String PASSPHRASE = "it-Passphrase-5e1d";

    @TempDir
    static Path dir;
    static List<String> originalLayers;
    static GpgHome gpg;
    static Path cert;
    static Path key;
    static Path otherCert;
    static Path otherKey;
    static Path jwePublic;
    static Path jwePrivate;
    static Path secring;
    static Path secretArmoured;
    static Path publicArmoured;
    static Path locked;

    @BeforeAll
    static void buildImageAndKeys() throws IOException {
        Path image = Layouts.busybox(dir, TAG, "hello from the pkcs7 and pgp test");
        originalLayers = Layouts.layerDigests(image, TAG);
        TestPki pki = new TestPki("Node CA");
        Path[] node = pki.writeRecipient(dir, "node", PemKeys.rsa());
        cert = node[0];
        key = node[1];
        Path[] other = pki.writeRecipient(dir, "other", PemKeys.rsa());
        otherCert = other[0];
        otherKey = other[1];
        KeyPair jwe = PemKeys.rsa();
        jwePublic = PemKeys.writePublic(jwe, dir.resolve("jwe.pub"));
        jwePrivate = PemKeys.writePkcs8(jwe, dir.resolve("jwe.pem"));

        gpg = new GpgHome(dir.resolve("gnupg"));
        gpg.generate("Cloak Node <" + NODE + ">", null);
        gpg.generate("Locked Node <" + LOCKED + ">", PASSPHRASE);
        secring = Files.write(dir.resolve("secring.gpg"), gpg.exportSecret(NODE, null, false));
        secretArmoured = Files.write(dir.resolve("node-secret.asc"), gpg.exportSecret(NODE, null, true));
        publicArmoured = Files.write(dir.resolve("node-public.asc"), gpg.exportPublic(NODE, true));
        locked = Files.write(dir.resolve("locked.gpg"), gpg.exportSecret(LOCKED, PASSPHRASE, false));
    }

    @AfterAll
    static void stopGpgAgent() {
        if (gpg != null) {
            gpg.close();
        }
    }

    private static String oci(String name) {
        return "oci:" + dir.resolve(name) + ":" + TAG;
    }

    private static void skopeo(String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q"));
        cmd.addAll(List.of(args));
        Cmd.run(dir, gpg.env(), cmd).ok();
    }

    private static Cmd.Result cloak(String... args) {
        return Cmd.cloak(dir, gpg.env(), args);
    }

    private static void assertOriginalLayers(String name) throws IOException {
        Layouts.assertDecrypted(dir.resolve(name), TAG, originalLayers, PLAIN);
    }

    private static void assertEncryptedFor(String name, String scheme) throws IOException {
        assertEquals(List.of(ENCRYPTED, ENCRYPTED), Layouts.layerMediaTypes(dir.resolve(name), TAG));
        assertTrue(Layouts.layerAnnotationKeys(dir.resolve(name), TAG).contains("org.opencontainers.image.enc.keys." + scheme));
    }

    private static Path keysDir(String name, Path... files) throws IOException {
        Path keys = Files.createDirectories(dir.resolve(name));
        for (Path f : files) {
            Files.copy(f, keys.resolve(f.getFileName()));
        }
        Files.writeString(keys.resolve("README"), "node keys; not a key itself\n");
        return keys;
    }

    // ---- skopeo encrypts, cloak decrypts.

    @Test
    void skopeoPkcs7EncryptedDecryptsWithCloakFromKeyAndCertificate() throws IOException {
        skopeo("--encryption-key", "pkcs7:" + cert, oci("plain"), oci("s-p7"));
        assertEncryptedFor("s-p7", "pkcs7");
        cloak("decrypt", "--key", key.toString(), "--key", cert.toString(), oci("s-p7"), oci("c-p7")).ok();
        assertOriginalLayers("c-p7");
    }

    @Test
    void skopeoPkcs7EncryptedDecryptsFromAKeyDirectoryWithSeveralCertificates() throws IOException {
        skopeo("--encryption-key", "pkcs7:" + cert, oci("plain"), oci("s-p7-dir"));
        Path keys = keysDir("keys-p7", otherKey, otherCert, key, cert, secring);
        cloak("decrypt", "--keys-dir", keys.toString(), oci("s-p7-dir"), oci("c-p7-dir")).ok();
        assertOriginalLayers("c-p7-dir");
    }

    @Test
    void skopeoPgpEncryptedDecryptsWithCloakFromBinaryAndArmouredKeyrings() throws IOException {
        skopeo("--encryption-key", "pgp:" + NODE, oci("plain"), oci("s-pgp"));
        assertEncryptedFor("s-pgp", "pgp");
        cloak("decrypt", "--key", secring.toString(), oci("s-pgp"), oci("c-pgp")).ok();
        assertOriginalLayers("c-pgp");
        cloak("decrypt", "--key", secretArmoured.toString(), oci("s-pgp"), oci("c-pgp-asc")).ok();
        assertOriginalLayers("c-pgp-asc");
    }

    @Test
    void skopeoPgpEncryptedForAProtectedKeyDecryptsWithItsPassword() throws IOException {
        skopeo("--encryption-key", "pgp:" + LOCKED, oci("plain"), oci("s-locked"));
        Path keys = keysDir("keys-locked", locked);
        Files.writeString(keys.resolve("locked.gpg.password"), PASSPHRASE + "\n");
        cloak("decrypt", "--keys-dir", keys.toString(), oci("s-locked"), oci("c-locked")).ok();
        assertOriginalLayers("c-locked");
        cloak("decrypt", "--key", locked + ":" + PASSPHRASE, oci("s-locked"), oci("c-locked-arg")).ok();
        assertOriginalLayers("c-locked-arg");

        Cmd.Result noPassword = cloak("decrypt", "--key", locked.toString(), oci("s-locked"), oci("c-locked-none"));
        assertEquals(ExitCodes.USAGE, noPassword.exit(), noPassword.err());
        assertTrue(noPassword.err().contains(".password"), noPassword.err());
        Cmd.Result wrong = cloak("decrypt", "--key", locked + ":wrong-" + PASSPHRASE, oci("s-locked"), oci("c-locked-wrong"));
        assertTrue(wrong.err().contains("wrong") && !wrong.err().contains(PASSPHRASE), wrong.err());
        assertFalse(Files.exists(dir.resolve("c-locked-wrong")), "nothing is left behind");
    }

    // ---- cloak encrypts, skopeo decrypts.

    @Test
    void cloakPkcs7EncryptedDecryptsWithSkopeo() throws IOException {
        cloak("encrypt", "--recipient", "pkcs7:" + cert, oci("plain"), oci("e-p7")).ok();
        assertEncryptedFor("e-p7", "pkcs7");
        skopeo("--decryption-key", key.toString(), "--decryption-key", cert.toString(), oci("e-p7"), oci("d-p7"));
        assertOriginalLayers("d-p7");
    }

    @Test
    void cloakPgpEncryptedForANameInTheGpgKeyringDecryptsWithSkopeo() throws IOException {
        cloak("encrypt", "--recipient", "pgp:" + NODE, oci("plain"), oci("e-pgp")).ok();
        assertEncryptedFor("e-pgp", "pgp");
        skopeo("--decryption-key", secring.toString(), oci("e-pgp"), oci("d-pgp"));
        assertOriginalLayers("d-pgp");
    }

    @Test
    void cloakPgpEncryptedForAPublicKeyFileDecryptsWithSkopeo() throws IOException {
        Cmd.Result encrypted = Cmd.cloak(dir, "encrypt", "-r", "pgp:" + publicArmoured, oci("plain"), oci("e-pgp-file"));
        encrypted.ok();
        skopeo("--decryption-key", secring.toString(), oci("e-pgp-file"), oci("d-pgp-file"));
        assertOriginalLayers("d-pgp-file");
    }

    /**
     * What newer gpg makes by default: Ed25519 and a Curve25519 (ECDH) subkey. skopeo's OpenPGP library cannot
     * use it, so this is Cloak alone, with gpg itself as the independent reader. The key lives in a gpg home
     * of its own: with it in the shared keyring, skopeo no longer finds the RSA recipients there either.
     */
    @Test
    void curve25519KeysWorkInCloakAndGpgReadsWhatCloakWrote() throws IOException {
        try (GpgHome curves = new GpgHome(dir.resolve("gnupg-curves"))) {
            curves.generate("Curve Node <curve@cloak.test>", null, "ed25519", "cv25519");
            Path secret = Files.write(dir.resolve("curve.gpg"), curves.exportSecret("curve@cloak.test", null, false));
            Cmd.cloak(dir, curves.env(), "encrypt", "-r", "pgp:curve@cloak.test", oci("plain"), oci("e-curve")).ok();
            assertTrue(cloak("inspect", oci("e-curve")).ok().out().contains("pgp (ECDH key "));
            cloak("decrypt", "--key", secret.toString(), oci("e-curve"), oci("d-curve")).ok();
            assertOriginalLayers("d-curve");

            String entry = Layouts.manifest(dir.resolve("e-curve"), TAG).get("layers").get(0).get("annotations")
                    .get("org.opencontainers.image.enc.keys.pgp").asText();
            Path message = Files.write(dir.resolve("curve-entry.gpg"), java.util.Base64.getDecoder().decode(entry));
            String options = Cmd.run(dir, curves.env(), List.of("gpg", "--batch", "--decrypt", message.toString())).ok().out();
            assertTrue(options.startsWith("{\"symkey\":"), "gpg decrypts Cloak's message to the private options");
        }
    }

    @Test
    void unknownGpgRecipientIsNotFound() {
        Cmd.Result r = cloak("encrypt", "-r", "pgp:nobody@cloak.test", oci("plain"), oci("e-nobody"));
        assertEquals(ExitCodes.NOT_FOUND, r.exit(), r.err());
        assertTrue(r.err().contains("nobody@cloak.test") && r.err().contains("gpg"), r.err());
    }

    // ---- several schemes on one image.

    @Test
    void skopeoThreeSchemesEachKeyAloneDecryptsAndNoneIsNoKeyNamingAll() throws IOException {
        skopeo("--encryption-key", "jwe:" + jwePublic, "--encryption-key", "pkcs7:" + cert,
                "--encryption-key", "pgp:" + NODE, oci("plain"), oci("s-three"));
        Map<String, List<String>> keySets = Map.of(
                "c-three-jwe", List.of("--key", jwePrivate.toString()),
                "c-three-p7", List.of("--key", key.toString(), "--key", cert.toString()),
                "c-three-pgp", List.of("--key", secring.toString()));
        for (Map.Entry<String, List<String>> keys : keySets.entrySet()) {
            List<String> args = new ArrayList<>(List.of("decrypt"));
            args.addAll(keys.getValue());
            args.addAll(List.of(oci("s-three"), oci(keys.getKey())));
            cloak(args.toArray(String[]::new)).ok();
            assertOriginalLayers(keys.getKey());
        }

        String inspected = cloak("inspect", oci("s-three")).ok().out();
        assertTrue(inspected.contains("pkcs7 (certificate issuer CN=Node CA serial "), inspected);

        Cmd.Result none = cloak("decrypt", "--key", otherKey.toString(), "--key", otherCert.toString(),
                "--key", locked + ":" + PASSPHRASE, oci("s-three"), oci("c-three-none"));
        assertEquals(ExitCodes.NO_KEY, none.exit(), none.err());
        for (String scheme : List.of("jwe (RSA-OAEP RSA)", "pkcs7 (certificate issuer CN=Node CA serial ", "pgp (RSA key ")) {
            assertTrue(none.err().contains(scheme), none.err());
        }
        assertEquals(1, none.err().strip().lines().count(), none.err());
    }
}
