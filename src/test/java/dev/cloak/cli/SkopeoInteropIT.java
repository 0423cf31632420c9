package dev.cloak.cli;

import dev.cloak.testing.Cmd;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interoperability with Debian's skopeo, which uses containers/ocicrypt: images skopeo encrypted decrypt
 * with cloak to the original layers, and images cloak encrypted decrypt with skopeo to the original layers.
 */
class SkopeoInteropIT {
    private static final String TAG = "v1";
    private static final String ENCRYPTED = "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
    private static final String PLAIN = "application/vnd.oci.image.layer.v1.tar+gzip";

    @TempDir
    static Path dir;
    static Path image;
    static List<String> originalLayers;
    static Path rsaPrivate;
    static Path rsaPublic;
    static Path ecPkcs8;
    static Path ecSec1;
    static Path ecPublic;

    @BeforeAll
    static void buildImageAndKeys() throws IOException {
        image = Layouts.busybox(dir, TAG, "hello from the interop test");
        originalLayers = Layouts.layerDigests(image, TAG);
        assertEquals(2, originalLayers.size());
        KeyPair rsa = PemKeys.rsa();
        KeyPair ec = PemKeys.ec();
        rsaPrivate = PemKeys.writeTraditional(rsa, dir.resolve("rsa.pem"));
        rsaPublic = PemKeys.writePublic(rsa, dir.resolve("rsa.pub"));
        ecPkcs8 = PemKeys.writePkcs8(ec, dir.resolve("ec-pkcs8.pem"));
        ecSec1 = PemKeys.writeTraditional(ec, dir.resolve("ec-sec1.pem"));
        ecPublic = PemKeys.writePublic(ec, dir.resolve("ec.pub"));
    }

    private static String oci(String name) {
        return "oci:" + dir.resolve(name) + ":" + TAG;
    }

    private static void skopeo(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q"));
        cmd.addAll(List.of(args));
        Cmd.run(dir, cmd).ok();
    }

    private static void assertOriginalLayers(String name) throws IOException {
        Layouts.assertDecrypted(dir.resolve(name), TAG, originalLayers, PLAIN);
    }

    @Test
    void skopeoRsaEncryptedDecryptsWithCloak() throws IOException {
        skopeo("--encryption-key", "jwe:" + rsaPublic, oci("plain"), oci("s-rsa"));
        assertEquals(List.of(ENCRYPTED, ENCRYPTED), Layouts.layerMediaTypes(dir.resolve("s-rsa"), TAG));
        Cmd.cloak(dir, "decrypt", "--key", rsaPrivate.toString(), oci("s-rsa"), oci("c-rsa")).ok();
        assertOriginalLayers("c-rsa");
    }

    @Test
    void skopeoEcEncryptedDecryptsWithCloakFromSec1AndPkcs8Keys() throws IOException {
        skopeo("--encryption-key", "jwe:" + ecPublic, oci("plain"), oci("s-ec"));
        Cmd.cloak(dir, "decrypt", "--key", ecSec1.toString(), oci("s-ec"), oci("c-ec-sec1")).ok();
        assertOriginalLayers("c-ec-sec1");
        Cmd.cloak(dir, "decrypt", "--key", ecPkcs8.toString(), oci("s-ec"), oci("c-ec-pkcs8")).ok();
        assertOriginalLayers("c-ec-pkcs8");
    }

    @Test
    void skopeoTwoRecipientsEachKeyAloneDecrypts() throws IOException {
        skopeo("--encryption-key", "jwe:" + rsaPublic, "--encryption-key", "jwe:" + ecPublic, oci("plain"), oci("s-two"));
        Cmd.cloak(dir, "decrypt", "--key", rsaPrivate.toString(), oci("s-two"), oci("c-two-rsa")).ok();
        assertOriginalLayers("c-two-rsa");
        Cmd.cloak(dir, "decrypt", "--key", ecSec1.toString(), oci("s-two"), oci("c-two-ec")).ok();
        assertOriginalLayers("c-two-ec");
    }

    @Test
    void skopeoLastLayerOnlyDecryptsWithCloak() throws IOException {
        skopeo("--encryption-key", "jwe:" + rsaPublic, "--encrypt-layer", "-1", oci("plain"), oci("s-last"));
        assertEquals(List.of(PLAIN, ENCRYPTED), Layouts.layerMediaTypes(dir.resolve("s-last"), TAG));
        Cmd.cloak(dir, "decrypt", "--key", rsaPrivate.toString(), oci("s-last"), oci("c-last")).ok();
        assertOriginalLayers("c-last");
    }

    @Test
    void cloakRsaEncryptedDecryptsWithSkopeo() throws IOException {
        Cmd.cloak(dir, "encrypt", "--recipient", "jwe:" + rsaPublic, oci("plain"), oci("e-rsa")).ok();
        assertEquals(List.of(ENCRYPTED, ENCRYPTED), Layouts.layerMediaTypes(dir.resolve("e-rsa"), TAG));
        skopeo("--decryption-key", rsaPrivate.toString(), oci("e-rsa"), oci("d-rsa"));
        assertOriginalLayers("d-rsa");
    }

    @Test
    void cloakEcEncryptedDecryptsWithSkopeo() throws IOException {
        Cmd.cloak(dir, "encrypt", "--recipient", "jwe:" + ecPublic, oci("plain"), oci("e-ec")).ok();
        skopeo("--decryption-key", ecPkcs8.toString(), oci("e-ec"), oci("d-ec"));
        assertOriginalLayers("d-ec");
    }

    @Test
    void cloakTwoRecipientsDecryptWithSkopeoUsingEitherKey() throws IOException {
        Cmd.cloak(dir, "encrypt", "-r", "jwe:" + rsaPublic, "-r", "jwe:" + ecPublic, oci("plain"), oci("e-two")).ok();
        skopeo("--decryption-key", rsaPrivate.toString(), oci("e-two"), oci("d-two-rsa"));
        assertOriginalLayers("d-two-rsa");
        skopeo("--decryption-key", ecPkcs8.toString(), oci("e-two"), oci("d-two-ec"));
        assertOriginalLayers("d-two-ec");
    }

    @Test
    void cloakLastLayerOnlyDecryptsWithSkopeo() throws IOException {
        Cmd.cloak(dir, "encrypt", "-r", "jwe:" + ecPublic, "--layer", "-1", oci("plain"), oci("e-last")).ok();
        assertEquals(List.of(PLAIN, ENCRYPTED), Layouts.layerMediaTypes(dir.resolve("e-last"), TAG));
        assertEquals(originalLayers.get(0), Layouts.layerDigests(dir.resolve("e-last"), TAG).get(0));
        skopeo("--decryption-key", ecPkcs8.toString(), oci("e-last"), oci("d-last"));
        assertOriginalLayers("d-last");
    }

    @Test
    void addingARecipientRewrapsWithoutReencrypting() throws IOException {
        skopeo("--encryption-key", "jwe:" + rsaPublic, oci("plain"), oci("s-one"));
        List<String> encryptedLayers = Layouts.layerDigests(dir.resolve("s-one"), TAG);
        Cmd.cloak(dir, "encrypt", "-r", "jwe:" + ecPublic, "--key", rsaPrivate.toString(), oci("s-one"), oci("e-more")).ok();
        assertEquals(encryptedLayers, Layouts.layerDigests(dir.resolve("e-more"), TAG), "the data must not be re-encrypted");
        skopeo("--decryption-key", ecPkcs8.toString(), oci("e-more"), oci("d-more-ec"));
        assertOriginalLayers("d-more-ec");
        skopeo("--decryption-key", rsaPrivate.toString(), oci("e-more"), oci("d-more-rsa"));
        assertOriginalLayers("d-more-rsa");
    }

    @Test
    void decryptedImageHasTheSameConfigAndRunnableContent() throws IOException {
        skopeo("--encryption-key", "jwe:" + rsaPublic, oci("plain"), oci("s-content"));
        Cmd.cloak(dir, "decrypt", "--key", rsaPrivate.toString(), oci("s-content"), oci("c-content")).ok();
        assertEquals(Layouts.manifest(image, TAG).get("config").get("digest"),
                Layouts.manifest(dir.resolve("c-content"), TAG).get("config").get("digest"));
        // umoci unpacks the decrypted image, checking every layer against the config's diff_ids.
        Path bundle = dir.resolve("bundle-content");
        Cmd.run(dir, "umoci", "unpack", "--rootless", "--image", oci("c-content").substring(4), bundle.toString()).ok();
        assertEquals("hello from the interop test\n", Files.readString(bundle.resolve("rootfs/hello.txt")));
    }
}
