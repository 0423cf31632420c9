package dev.cloak.ocicrypt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.ocicrypt.keyprovider.KeyProviderConfig;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;
import dev.cloak.ocicrypt.keywrap.Recipient;
import dev.cloak.ocicrypt.keywrap.Recipients;
import dev.cloak.ocicrypt.keywrap.TestKeys;
import dev.cloak.testing.TestKeyProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layers wrapped by command key providers: the test provider runs as a real program, one JVM per call. */
class KeyProviderLayerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] PLAINTEXT = Layers.random(70_000, 5);
    private static final String PROVIDER_KEY = EncryptionAnnotations.KEYS_PREFIX + "provider.";

    @TempDir
    Path dir;

    private KeyProviders providers(Map<String, ObjectNode> entries, Duration timeout) throws IOException {
        Path file = TestKeyProvider.writeConfig(dir.resolve("kp-" + System.nanoTime() + ".json"), entries);
        return new KeyProviders(KeyProviderConfig.load(file, "test", timeout));
    }

    static Layers.Encrypted encrypt(KeyProviders providers, List<Recipient> recipients) throws IOException {
        Descriptor plain = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, Digest.sha256Of(PLAINTEXT), PLAINTEXT.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, String> annotations = new LayerEncryptor(KeyWrappers.standard(providers))
                .encrypt(plain, new ByteArrayInputStream(PLAINTEXT), recipients, out);
        byte[] ciphertext = out.toByteArray();
        return new Layers.Encrypted(plain, Descriptor.of(MediaTypes.encrypted(plain.mediaType()), Digest.sha256Of(ciphertext),
                ciphertext.length).withAnnotations(annotations), ciphertext);
    }

    static byte[] decrypt(KeyProviders providers, Layers.Encrypted layer, Keyring keyring) throws IOException {
        LayerDecryptor decryptor = new LayerDecryptor(KeyWrappers.standard(providers));
        MemorySink sink = new MemorySink();
        try (LayerKey key = decryptor.unwrap(layer.descriptor(), keyring)) {
            decryptor.decrypt(key, new ByteArrayInputStream(layer.ciphertext()), sink);
        }
        return sink.published();
    }

    @Test
    void aCommandProviderWrapsAndUnwrapsTheLayerKeyWithoutSeeingNodeKeys() throws IOException {
        Path record = dir.resolve("requests.jsonl");
        try (KeyProviders p = providers(Map.of("aes", TestKeyProvider.commandProvider("aes", record)), Duration.ofSeconds(30))) {
            Layers.Encrypted layer = encrypt(p, List.of(Recipients.parse("provider:aes:key-7")));
            assertTrue(layer.descriptor().annotations().containsKey(PROVIDER_KEY + "aes"), layer.descriptor().annotations().toString());
            JsonNode annotation = JSON.readTree(Base64.getDecoder().decode(layer.descriptor().annotations().get(PROVIDER_KEY + "aes")));
            assertEquals("AES", annotation.get("wrap_type").asText(), "the entry is the provider's own answer, unchanged");

            byte[] plain = decrypt(p, layer, TestKeys.keyring(TestKeys.RSA_A, TestKeys.EC_P256));
            assertArrayEquals(PLAINTEXT, plain);
        }
        List<String> requests = Files.readAllLines(record);
        assertEquals(2, requests.size());
        JsonNode wrap = JSON.readTree(requests.get(0));
        assertEquals("key-7", new String(Base64.getDecoder().decode(wrap.at("/keywrapparams/ec/Parameters/aes/0").asText())));
        JsonNode unwrap = JSON.readTree(requests.get(1));
        assertEquals("keyunwrap", unwrap.get("op").asText());
        assertEquals(1, unwrap.at("/keyunwrapparams/dc/Parameters").size(), requests.get(1));
        String rsaPrivate = Base64.getEncoder().encodeToString(TestKeys.RSA_A.getPrivate().getEncoded());
        String ecPrivate = Base64.getEncoder().encodeToString(TestKeys.EC_P256.getPrivate().getEncoded());
        assertFalse(requests.get(1).contains(rsaPrivate.substring(0, 40)) || requests.get(1).contains(ecPrivate.substring(0, 40))
                || requests.get(1).contains("privkeys"), "node private keys must never reach a provider");
    }

    @Test
    void aHangingProviderIsStoppedAtTheTimeoutWithOneClearError() throws IOException {
        Layers.Encrypted layer;
        try (KeyProviders p = providers(Map.of("slow", TestKeyProvider.commandProvider("aes", null)), Duration.ofSeconds(30))) {
            layer = encrypt(p, List.of(Recipients.parse("provider:slow")));
        }
        try (KeyProviders p = providers(Map.of("slow", TestKeyProvider.commandProvider("hang", null)), Duration.ofSeconds(2))) {
            long start = System.nanoTime();
            CloakException e = assertThrows(CloakException.class, () -> decrypt(p, layer, Keyring.empty("none")));
            long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
            assertEquals(ErrorKind.UNAVAILABLE, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("key provider \"slow\"") && e.getMessage().contains("within 2 s"), e.getMessage());
            assertTrue(e.getMessage().contains(layer.name()), e.getMessage());
            assertTrue(seconds < 10, "took " + seconds + " s");
        }
    }

    @Test
    void garbageFromAProviderIsInvalidInputAndAFailingOneIsNoKey() throws IOException {
        Layers.Encrypted layer;
        try (KeyProviders p = providers(Map.of("x", TestKeyProvider.commandProvider("aes", null)), Duration.ofSeconds(30))) {
            layer = encrypt(p, List.of(Recipients.parse("provider:x")));
        }
        try (KeyProviders p = providers(Map.of("x", TestKeyProvider.commandProvider("garbage", null)), Duration.ofSeconds(30))) {
            CloakException e = assertThrows(CloakException.class, () -> decrypt(p, layer, Keyring.empty("none")));
            assertEquals(ErrorKind.INVALID_INPUT, e.kind());
            assertTrue(e.getMessage().contains("key provider \"x\" answered with something that is not"), e.getMessage());
        }
        try (KeyProviders p = providers(Map.of("x", TestKeyProvider.commandProvider("fail", null)), Duration.ofSeconds(30))) {
            CloakException e = assertThrows(CloakException.class, () -> decrypt(p, layer, Keyring.empty("none")));
            assertEquals(ErrorKind.NO_KEY, e.kind());
            assertTrue(e.getMessage().contains("exited with status 7"), e.getMessage());
        }
    }

    @Test
    void aFailingProviderIsSkippedWhenANodeKeyUnwrapsTheLayer() throws IOException {
        List<Recipient> recipients = List.of(Recipients.parse("provider:x"), TestKeys.recipient(TestKeys.RSA_A));
        Layers.Encrypted layer;
        try (KeyProviders p = providers(Map.of("x", TestKeyProvider.commandProvider("aes", null)), Duration.ofSeconds(30))) {
            layer = encrypt(p, recipients);
        }
        assertEquals(List.of(PROVIDER_KEY + "x", Layers.JWE), layer.descriptor().annotations().keySet().stream()
                .filter(k -> k.startsWith(EncryptionAnnotations.KEYS_PREFIX)).toList(), "the provider is asked first");
        try (KeyProviders p = providers(Map.of("x", TestKeyProvider.commandProvider("fail", null)), Duration.ofSeconds(30))) {
            assertArrayEquals(PLAINTEXT, decrypt(p, layer, TestKeys.keyring(TestKeys.RSA_A)));
            CloakException e = assertThrows(CloakException.class, () -> decrypt(p, layer, TestKeys.keyring(TestKeys.RSA_B)));
            assertEquals(ErrorKind.NO_KEY, e.kind());
            assertTrue(e.getMessage().startsWith(LayerDecryptor.MISSING_KEY), e.getMessage());
            assertTrue(e.getMessage().contains("also, layer " + layer.name() + ": key provider \"x\""), e.getMessage());
        }
    }

    @Test
    void anUnconfiguredProviderIsSkippedAndNamedInTheMissingKeyMessage() throws IOException {
        Layers.Encrypted layer;
        try (KeyProviders p = providers(Map.of("gone", TestKeyProvider.commandProvider("aes", null)), Duration.ofSeconds(30))) {
            layer = encrypt(p, List.of(Recipients.parse("provider:gone"), TestKeys.recipient(TestKeys.RSA_A)));
        }
        try (KeyProviders none = new KeyProviders(KeyProviderConfig.empty())) {
            assertArrayEquals(PLAINTEXT, decrypt(none, layer, TestKeys.keyring(TestKeys.RSA_A)));
            CloakException e = assertThrows(CloakException.class, () -> decrypt(none, layer, Keyring.empty("/etc/crio/keys")));
            assertEquals(ErrorKind.NO_KEY, e.kind());
            assertTrue(e.getMessage().contains("provider.gone (1 entry; no key provider \"gone\" is configured)"), e.getMessage());
        }
    }

    @Test
    void encryptingForAnUnconfiguredProviderSaysHowToConfigureIt() {
        CloakException e = assertThrows(CloakException.class,
                () -> encrypt(new KeyProviders(KeyProviderConfig.empty()), List.of(Recipients.parse("provider:kms"))));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains("key provider \"kms\" is not configured") && e.getMessage().contains(KeyProviderConfig.ENV),
                e.getMessage());
    }
}
