package dev.cloak.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.SoftHsm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PKCS#11 through Debian's SoftHSM2: keys generated in the token by pkcs11-tool, only public keys exported,
 * encryption with cloak, decryption with cloak whose private keys never leave the token.
 */
class Pkcs11IT {
    private static final String TAG = "v1";
    private static final String PIN = "1234";
    private static final String PKCS11 = "org.opencontainers.image.enc.keys.pkcs11";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static SoftHsm hsm;
    static List<String> originalLayers;
    static Path small;
    static Path big;
    static Path smallKey;
    static Path bigKey;

    @BeforeAll
    static void tokenKeysAndImage() throws IOException {
        Layouts.busybox(dir, TAG, "hello from the pkcs11 test");
        originalLayers = Layouts.layerDigests(dir.resolve("plain"), TAG);
        hsm = new SoftHsm(dir.resolve("hsm"), "node", PIN);
        small = hsm.generateRsa("imgenc", "01", 2048);
        big = hsm.generateRsa("big", "02", 3072);
        Path pinFile = Files.writeString(dir.resolve("pin"), PIN + "\n");
        smallKey = hsm.keyFile(dir.resolve("small.yaml"), "imgenc", "pin-value=" + PIN, hsm.env());
        Files.createDirectories(dir.resolve("keys"));
        Files.writeString(dir.resolve("keys/README"), "not a key");
        bigKey = hsm.keyFile(dir.resolve("keys/big.yaml"), "big", "pin-source=" + pinFile, Map.of());
    }

    private static String oci(String name) {
        return "oci:" + dir.resolve(name) + ":" + TAG;
    }

    private static JsonNode pkcs11Entry(String image) throws IOException {
        JsonNode layer = Layouts.manifest(dir.resolve(image), TAG).get("layers").get(0);
        return JSON.readTree(Base64.getDecoder().decode(layer.get("annotations").get(PKCS11).asText()));
    }

    private static void assertOriginal(String image) throws IOException {
        assertEquals(originalLayers, Layouts.layerDigests(dir.resolve(image), TAG));
        assertTrue(Layouts.layerAnnotationKeys(dir.resolve(image), TAG).stream().noneMatch(k -> k.startsWith("org.opencontainers.image.enc.")));
    }

    @Test
    void encryptsForAnExportedPublicKeyAndDecryptsInTheToken() throws IOException {
        Cmd.cloak(dir, "encrypt", "-r", "pkcs11:" + small, oci("plain"), oci("enc-small")).ok();
        JsonNode entry = pkcs11Entry("enc-small");
        assertEquals(0, entry.get("version").asInt());
        assertEquals("sha1", entry.get("recipients").get(0).get("hash").asText(), "193 bytes of options need SHA-1 under 2048 bits");
        assertEquals(256, Base64.getDecoder().decode(entry.get("recipients").get(0).get("blob").asText()).length);

        Cmd.cloak(dir, hsm.env(), "decrypt", "--key", smallKey.toString(), oci("enc-small"), oci("dec-small")).ok();
        assertOriginal("dec-small");
    }

    @Test
    void encryptsForTheTokensOwnKeyWithSha256AndDecryptsFromAKeyDirectory() throws IOException {
        Cmd.cloak(dir, hsm.env(), "encrypt", "-r", "pkcs11:" + bigKey, oci("plain"), oci("enc-big")).ok();
        assertEquals("sha256", pkcs11Entry("enc-big").get("recipients").get(0).get("hash").asText());
        Cmd.Result r = Cmd.cloak(dir, hsm.env(), "decrypt", "--keys-dir", dir.resolve("keys").toString(), oci("enc-big"), oci("dec-big")).ok();
        assertOriginal("dec-big");
        assertTrue(r.err().contains("README"), "the unusable file is named in a warning: " + r.err());
    }

    @Test
    void wrongPinWrongKeyAndWrongEnvironmentAreOneLineErrors() throws IOException {
        Cmd.cloak(dir, "encrypt", "-r", "pkcs11:" + small, oci("plain"), oci("enc-errors")).ok();

        Path wrongPin = hsm.keyFile(dir.resolve("wrong-pin.yaml"), "imgenc", "pin-value=nope-PIN", Map.of());
        Cmd.Result pin = Cmd.cloak(dir, hsm.env(), "decrypt", "--key", wrongPin.toString(), oci("enc-errors"), oci("x1"));
        assertEquals(ExitCodes.NO_KEY, pin.exit(), pin.err());
        assertTrue(pin.err().contains("the token rejected the PIN") && !pin.err().contains("nope-PIN"), pin.err());
        assertEquals(1, pin.err().strip().lines().count(), pin.err());

        Cmd.Result other = Cmd.cloak(dir, hsm.env(), "decrypt", "--key", dir.resolve("keys/big.yaml").toString(),
                oci("enc-errors"), oci("x2"));
        assertEquals(ExitCodes.NO_KEY, other.exit(), other.err());
        assertTrue(other.err().contains("missing private key needed for decryption")
                && other.err().contains("pkcs11 (RSA-OAEP-SHA1 RSA-2048)"), other.err());

        Path otherEnv = hsm.keyFile(dir.resolve("other-env.yaml"), "imgenc", "pin-value=" + PIN,
                Map.of("SOFTHSM2_CONF", "/etc/softhsm/other.conf"));
        Cmd.Result env = Cmd.cloak(dir, hsm.env(), "decrypt", "--key", otherEnv.toString(), oci("enc-errors"), oci("x3"));
        assertEquals(ExitCodes.USAGE, env.exit(), env.err());
        assertTrue(env.err().contains("SOFTHSM2_CONF") && !env.err().contains("other.conf"), env.err());

        Path outside = Files.copy(Path.of(SoftHsm.MODULE), dir.resolve("libsofthsm2.so"));
        Path evil = Files.writeString(dir.resolve("evil.yaml"), "pkcs11:\n  uri: \"pkcs11:token=node;object=imgenc?module-path="
                + outside + "&pin-value=" + PIN + "\"\n");
        Cmd.Result module = Cmd.cloak(dir, hsm.env(), "decrypt", "--key", evil.toString(), oci("enc-errors"), oci("x4"));
        assertEquals(ExitCodes.USAGE, module.exit(), module.err());
        assertTrue(module.err().contains("is not in an allowed module directory"), module.err());
        assertFalse(module.err().contains("\tat "), "no stack trace: " + module.err());
    }
}
