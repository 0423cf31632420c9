package dev.cloak.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.TestKeyProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key providers through the command line, as a user configures them for skopeo: OCICRYPT_KEYPROVIDER_CONFIG
 * in the environment and the test provider program in it. (Debian's skopeo 1.9 has no key provider support,
 * so there is no interop test against it.)
 */
class KeyProviderIT {
    private static final String TAG = "v1";
    private static final String ANNOTATION = "org.opencontainers.image.enc.keys.provider.aes";

    @TempDir
    static Path dir;
    static List<String> originalLayers;

    @BeforeAll
    static void image() throws IOException {
        Layouts.busybox(dir, TAG, "hello from the key provider test");
        originalLayers = Layouts.layerDigests(dir.resolve("plain"), TAG);
    }

    private static String oci(String name) {
        return "oci:" + dir.resolve(name) + ":" + TAG;
    }

    private static Map<String, String> providerEnv(String mode) throws IOException {
        Map<String, ObjectNode> providers = Map.of("aes", TestKeyProvider.commandProvider(mode, null));
        Path file = TestKeyProvider.writeConfig(dir.resolve("providers-" + mode + ".json"), providers);
        return Map.of("OCICRYPT_KEYPROVIDER_CONFIG", file.toString());
    }

    private static void assertOriginal(String image) throws IOException {
        assertEquals(originalLayers, Layouts.layerDigests(dir.resolve(image), TAG));
        assertTrue(Layouts.layerAnnotationKeys(dir.resolve(image), TAG).stream().noneMatch(k -> k.startsWith("org.opencontainers.image.enc.")));
    }

    private static void encrypted(String name) throws IOException {
        assertTrue(Layouts.layerAnnotationKeys(dir.resolve(name), TAG).contains(ANNOTATION));
    }

    @Test
    void roundTripThroughACommandProvider() throws IOException {
        Map<String, String> env = providerEnv("aes");
        Cmd.cloak(dir, env, "encrypt", "-r", "provider:aes", oci("plain"), oci("c-enc")).ok();
        encrypted("c-enc");
        Cmd.Result inspect = Cmd.cloak(dir, env, "inspect", oci("c-enc")).ok();
        assertTrue(inspect.out().contains("provider.aes (key provider aes)"), inspect.out());
        Cmd.cloak(dir, env, "decrypt", oci("c-enc"), oci("c-dec")).ok();
        assertOriginal("c-dec");
    }

    @Test
    void hangingGarbageAndUnconfiguredProvidersGiveOneClearLine() throws IOException {
        Cmd.cloak(dir, providerEnv("aes"), "encrypt", "-r", "provider:aes", oci("plain"), oci("e-enc")).ok();

        long start = System.nanoTime();
        Cmd.Result hang = Cmd.cloak(dir, providerEnv("hang"), "decrypt", oci("e-enc"), oci("e-x1"));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        assertEquals(ExitCodes.UNAVAILABLE, hang.exit(), hang.err());
        assertTrue(hang.err().contains("key provider \"aes\"") && hang.err().contains("did not answer within 10 s"), hang.err());
        assertEquals(1, hang.err().strip().lines().count(), hang.err());
        assertTrue(seconds < 60, "took " + seconds + " s");

        Cmd.Result garbage = Cmd.cloak(dir, providerEnv("garbage"), "decrypt", oci("e-enc"), oci("e-x2"));
        assertEquals(ExitCodes.USAGE, garbage.exit(), garbage.err());
        assertTrue(garbage.err().contains("is not a key provider protocol JSON response"), garbage.err());
        assertFalse(garbage.err().contains("\tat "), garbage.err());

        Path key = PemKeys.writePkcs8(PemKeys.rsa(), dir.resolve("unrelated.pem"));
        Cmd.Result none = Cmd.cloak(dir, "decrypt", "--key", key.toString(), oci("e-enc"), oci("e-x3"));
        assertEquals(ExitCodes.NO_KEY, none.exit(), none.err());
        assertTrue(none.err().contains("no key provider \"aes\" is configured"), none.err());

        Cmd.Result unknown = Cmd.cloak(dir, providerEnv("aes"), "encrypt", "-r", "provider:kms", oci("plain"), oci("e-x4"));
        assertEquals(ExitCodes.USAGE, unknown.exit(), unknown.err());
        assertTrue(unknown.err().contains("key provider \"kms\" is not configured"), unknown.err());
    }
}
