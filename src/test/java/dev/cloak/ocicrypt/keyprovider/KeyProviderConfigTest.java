package dev.cloak.ocicrypt.keyprovider;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyProviderConfigTest {
    @TempDir
    Path dir;

    private Path write(String json) throws IOException {
        return Files.writeString(dir.resolve("kp.json"), json);
    }

    private KeyProviderConfig load(String json) throws IOException {
        return KeyProviderConfig.load(write(json), "test", Duration.ofSeconds(3));
    }

    @Test
    void readsCommandAndGrpcProvidersAsOcicryptWritesThem() throws IOException {
        KeyProviderConfig c = load("""
                {"key-providers": {
                  "kms": {"cmd": {"path": "/usr/lib/kms-provider", "args": ["--region", "eu"]}},
                  "vault": {"grpc": "localhost:50051"},
                  "bare": {"cmd": {"path": "/bin/true"}}
                }}""");
        assertEquals(new KeyProviderConfig.Endpoint.Command(Path.of("/usr/lib/kms-provider"), List.of("--region", "eu")),
                c.providers().get("kms"));
        assertEquals(new KeyProviderConfig.Endpoint.Grpc("localhost:50051", null), c.providers().get("vault"));
        assertEquals(List.of(), ((KeyProviderConfig.Endpoint.Command) c.providers().get("bare")).args());
        assertEquals(Duration.ofSeconds(3), c.timeout());
    }

    @Test
    void readsCloaksTlsBlockForGrpc() throws IOException {
        KeyProviderConfig c = load("""
                {"key-providers": {"v": {"grpc": "kms.example:443", "grpc-tls": {"root-ca-file": "/etc/ca.pem",
                  "cert-file": "/etc/c.pem", "key-file": "/etc/k.pem", "server-name": "kms"}}}}""");
        KeyProviderConfig.Tls tls = ((KeyProviderConfig.Endpoint.Grpc) c.providers().get("v")).tls();
        assertEquals(new KeyProviderConfig.Tls(Path.of("/etc/ca.pem"), Path.of("/etc/c.pem"), Path.of("/etc/k.pem"), "kms"), tls);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "not json",
            "{}",
            "{\"key-providers\": []}",
            "{\"key-providers\": {\"a\": {}}}",
            "{\"key-providers\": {\"a\": {\"cmd\": {\"path\": \"/x\"}, \"grpc\": \"h:1\"}}}",
            "{\"key-providers\": {\"a\": {\"cmd\": {\"path\": \"relative/prog\"}}}}",
            "{\"key-providers\": {\"a\": {\"cmd\": {\"path\": \"/x\", \"args\": \"-v\"}}}}",
            "{\"key-providers\": {\"a\": {\"grpc\": \"\"}}}",
            "{\"key-providers\": {\"bad name\": {\"grpc\": \"h:1\"}}}",
            "{\"key-providers\": {\"a\": {\"grpc\": \"h:1\", \"grpc-tls\": {\"cert-file\": \"/c.pem\"}}}}",
            "{\"key-providers\": {\"a\": {\"grpc\": \"h:1\", \"grpc-tls\": {\"root-ca-file\": \"ca.pem\"}}}}"})
    void refusesBrokenFilesWithOneSentenceNamingTheOrigin(String json) throws IOException {
        CloakException e = assertThrows(CloakException.class, () -> load(json));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().startsWith("key provider configuration test cannot be used: "), e.getMessage());
    }

    @Test
    void aMissingFileIsNotFound() {
        CloakException e = assertThrows(CloakException.class,
                () -> KeyProviderConfig.load(dir.resolve("nope.json"), "X=nope", Duration.ofSeconds(1)));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("X=nope"), e.getMessage());
    }

    @Test
    void theEnvironmentVariableNamesTheFileAndUnsetMeansNoProviders() throws IOException {
        Path f = write("{\"key-providers\": {\"p\": {\"grpc\": \"127.0.0.1:1\"}}}");
        KeyProviderConfig c = KeyProviderConfig.fromEnvironment(Map.of(KeyProviderConfig.ENV, f.toString()));
        assertEquals(java.util.Set.of("p"), c.providers().keySet());
        assertEquals(KeyProviderConfig.DEFAULT_TIMEOUT, c.timeout());
        assertTrue(c.origin().contains(f.toString()));
        assertTrue(KeyProviderConfig.fromEnvironment(Map.of()).providers().isEmpty());
        assertTrue(KeyProviderConfig.fromEnvironment(Map.of(KeyProviderConfig.ENV, "")).providers().isEmpty());
        assertNull(KeyProviderConfig.fromEnvironment(Map.of()).providers().get("p"));
    }
}
