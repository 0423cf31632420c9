package dev.cloak.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.PgpKeys;
import dev.cloak.testing.SoftHsm;
import dev.cloak.testing.TestKeyProvider;
import dev.cloak.testing.TestPki;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
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
 * One image whose layers are wrapped for every scheme Cloak speaks at once (JWE, PKCS7, OpenPGP, PKCS#11 in
 * SoftHSM2, a command key provider), as when node pools with different kinds of keys run the same image: each
 * pool's key alone decrypts it, and a node with none of them is told every scheme the layer carries.
 */
class MixedSchemesIT {
    private static final String TAG = "v1";
    private static final String PIN = "1234";
    private static final String PGP_PASSPHRASE = "mixed-Passphrase-71b2";
    private static final List<String> SCHEMES = List.of("jwe", "pkcs7", "pgp", "pkcs11", "provider.aes");

    @TempDir
    static Path dir;
    static List<String> originalLayers;
    static SoftHsm hsm;
    static Map<String, String> providerEnv;
    static Path jweKey;
    static Path pkcs7Cert;
    static Path pkcs7Key;
    static Path pgpSecret;
    static Path tokenKey;

    @BeforeAll
    static void encryptForEveryScheme() throws IOException {
        Layouts.busybox(dir, TAG, "hello from the mixed schemes test");
        originalLayers = Layouts.layerDigests(dir.resolve("plain"), TAG);

        KeyPair jwe = PemKeys.ec();
        Path jwePublic = PemKeys.writePublic(jwe, dir.resolve("jwe.pub"));
        jweKey = PemKeys.writePkcs8(jwe, dir.resolve("jwe.pem"));
        Path[] pkcs7 = new TestPki("Mixed CA").writeRecipient(dir, "pkcs7", PemKeys.rsa());
        pkcs7Cert = pkcs7[0];
        pkcs7Key = pkcs7[1];
        PGPSecretKeyRing pgp = PgpKeys.generate("Pool C <pool-c@cloak.test>", PGP_PASSPHRASE);
        Path pgpPublic = Files.writeString(dir.resolve("pool-c.asc"), PgpKeys.publicArmoured(pgp));
        pgpSecret = Files.write(dir.resolve("pool-c.gpg"), PgpKeys.secretBinary(pgp));
        Files.writeString(dir.resolve("pool-c.gpg.password"), PGP_PASSPHRASE + "\n");
        hsm = new SoftHsm(dir.resolve("hsm"), "node", PIN);
        Path tokenPublic = hsm.generateRsa("imgenc", "01", 2048);
        tokenKey = hsm.keyFile(dir.resolve("token.yaml"), "imgenc", "pin-value=" + PIN, Map.of());
        Map<String, ObjectNode> providers = Map.of("aes", TestKeyProvider.commandProvider("aes", null));
        providerEnv = Map.of("OCICRYPT_KEYPROVIDER_CONFIG",
                TestKeyProvider.writeConfig(dir.resolve("providers.json"), providers).toString());

        Cmd.cloak(dir, providerEnv, "encrypt", "-r", "jwe:" + jwePublic, "-r", "pkcs7:" + pkcs7Cert,
                "-r", "pgp:" + pgpPublic, "-r", "pkcs11:" + tokenPublic, "-r", "provider:aes",
                oci("plain"), oci("mixed")).ok();
    }

    private static String oci(String name) {
        return "oci:" + dir.resolve(name) + ":" + TAG;
    }

    private static Cmd.Result decrypt(Map<String, String> env, String output, String... keys) {
        List<String> args = new ArrayList<>(List.of("decrypt"));
        for (String key : keys) {
            args.addAll(List.of("--key", key));
        }
        args.addAll(List.of(oci("mixed"), oci(output)));
        return Cmd.cloak(dir, env, args.toArray(String[]::new));
    }

    private static void assertOriginal(String image) throws IOException {
        assertEquals(originalLayers, Layouts.layerDigests(dir.resolve(image), TAG), image);
        assertTrue(Layouts.layerAnnotationKeys(dir.resolve(image), TAG).stream()
                .noneMatch(k -> k.startsWith("org.opencontainers.image.enc.")), image);
    }

    @Test
    void everyLayerCarriesOneEntryPerScheme() throws IOException {
        List<String> keys = Layouts.layerAnnotationKeys(dir.resolve("mixed"), TAG);
        for (String scheme : SCHEMES) {
            assertTrue(keys.contains("org.opencontainers.image.enc.keys." + scheme), scheme + " in " + keys);
        }
        String inspected = Cmd.cloak(dir, providerEnv, "inspect", oci("mixed")).ok().out();
        for (String part : List.of("jwe (ECDH-ES+A256KW EC P-256)", "pkcs7 (certificate issuer CN=Mixed CA serial ",
                "pgp (RSA key ", "pkcs11 (RSA-OAEP-SHA1 RSA-2048)", "provider.aes (key provider aes)")) {
            assertTrue(inspected.contains(part), part + " in " + inspected);
        }
    }

    @Test
    void eachSchemesKeyAloneDecrypts() throws IOException {
        decrypt(Map.of(), "by-jwe", jweKey.toString()).ok();
        assertOriginal("by-jwe");
        decrypt(Map.of(), "by-pkcs7", pkcs7Key.toString(), pkcs7Cert.toString()).ok();
        assertOriginal("by-pkcs7");
        decrypt(Map.of(), "by-pgp", pgpSecret.toString()).ok();
        assertOriginal("by-pgp");
        decrypt(hsm.env(), "by-pkcs11", tokenKey.toString()).ok();
        assertOriginal("by-pkcs11");
        Cmd.cloak(dir, providerEnv, "decrypt", oci("mixed"), oci("by-provider")).ok();
        assertOriginal("by-provider");
    }

    /** Keys of every kind, none of them the image's: the one line names all five schemes and counts the keys. */
    @Test
    void noMatchingKeyNamesEveryScheme() throws IOException {
        Path otherRsa = PemKeys.writePkcs8(PemKeys.rsa(), dir.resolve("other.pem"));
        Path[] otherPkcs7 = new TestPki("Other CA").writeRecipient(dir, "other-pkcs7", PemKeys.rsa());
        Path otherPgp = Files.write(dir.resolve("other.gpg"),
                PgpKeys.secretBinary(PgpKeys.generate("Other <other@cloak.test>", null)));
        hsm.generateRsa("other", "02", 2048);
        Path otherToken = hsm.keyFile(dir.resolve("other.yaml"), "other", "pin-value=" + PIN, Map.of());

        Cmd.Result none = decrypt(hsm.env(), "none", otherRsa.toString(), otherPkcs7[0].toString(), otherPkcs7[1].toString(),
                otherPgp.toString(), otherToken.toString());
        assertEquals(ExitCodes.NO_KEY, none.exit(), none.err());
        String err = none.err();
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.contains("missing private key needed for decryption"), err);
        for (String part : List.of("jwe (ECDH-ES+A256KW EC P-256)", "pkcs7 (certificate issuer CN=Mixed CA serial ",
                "pgp (RSA key ", "pkcs11 (RSA-OAEP-SHA1 RSA-2048)",
                "provider.aes (1 entry; no key provider \"aes\" is configured)")) {
            assertTrue(err.contains(part), part + " in " + err);
        }
        assertTrue(err.contains("none of the 4 private keys"), "RSA, PKCS#11 and OpenPGP keys count, certificates not: " + err);
        assertTrue(err.contains("(for pkcs7, with its x509 certificate)"), err);
        assertFalse(err.contains("pin-value"), "the key file's URI, with its PIN, stays out of the message: " + err);
        assertFalse(Files.exists(dir.resolve("none")), "nothing is written when a key is missing");
    }
}
