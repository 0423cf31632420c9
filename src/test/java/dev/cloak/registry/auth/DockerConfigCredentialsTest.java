package dev.cloak.registry.auth;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DockerConfigCredentialsTest {
    private static final String PASSWORD = "s3cr3t:with:colons";
    private static final String IDENTITY_TOKEN = "identity-token-value-1234";
    private static final String REGISTRY_TOKEN = "registry-token-value-5678";

    @TempDir
    Path dir;

    private DockerConfigCredentials config(String json) throws IOException {
        return DockerConfigCredentials.file(Files.writeString(dir.resolve("config.json"), json));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void authFieldIsBase64OfUserColonPassword() throws IOException {
        DockerConfigCredentials source = config("{\"auths\":{\"r.example\":{\"auth\":\"" + b64("alice:" + PASSWORD) + "\"}}}");

        Credentials c = source.lookup("r.example");

        assertEquals(Credentials.basic("alice", PASSWORD), c);
        assertTrue(c.hasPassword());
    }

    @Test
    void usernameAndPasswordFields() throws IOException {
        DockerConfigCredentials source = config("{\"auths\":{\"r.example\":{\"username\":\"bob\",\"password\":\"" + PASSWORD + "\"}}}");

        assertEquals(Credentials.basic("bob", PASSWORD), source.lookup("r.example"));
    }

    @Test
    void identityTokenIsKeptAndDisablesBasic() throws IOException {
        DockerConfigCredentials source = config("{\"auths\":{\"r.example\":{\"auth\":\"" + b64("<token>:") + "\","
                + "\"identitytoken\":\"" + IDENTITY_TOKEN + "\"}}}");

        Credentials c = source.lookup("r.example");

        assertEquals(IDENTITY_TOKEN, c.identityToken());
        assertFalse(c.hasPassword(), "an identity token is exchanged, never sent as a password");
        assertFalse(c.isAnonymous());
    }

    @Test
    void registryToken() throws IOException {
        DockerConfigCredentials source = config("{\"auths\":{\"r.example\":{\"registrytoken\":\"" + REGISTRY_TOKEN + "\"}}}");

        Credentials c = source.lookup("r.example");

        assertEquals(REGISTRY_TOKEN, c.registryToken());
        assertNull(c.username());
        assertFalse(c.isAnonymous());
    }

    @Test
    void dockerHubLegacyUrlKeyMatchesDockerIo() throws IOException {
        DockerConfigCredentials source = config("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\""
                + b64("hub:" + PASSWORD) + "\"}}}");

        assertEquals(Credentials.basic("hub", PASSWORD), source.lookup("docker.io"));
        assertEquals(Credentials.basic("hub", PASSWORD), source.lookup("registry-1.docker.io"));
        assertTrue(source.lookup("ghcr.io").isAnonymous());
    }

    @Test
    void hostAndPortKey() throws IOException {
        DockerConfigCredentials source = config("{\"auths\":{\"host:5000\":{\"auth\":\"" + b64("u:" + PASSWORD) + "\"}}}");

        assertEquals(Credentials.basic("u", PASSWORD), source.lookup("host:5000"));
        assertTrue(source.lookup("host").isAnonymous(), "the port is part of the name");
        assertTrue(source.lookup("host:5001").isAnonymous());
    }

    @Test
    void urlKeyWithSchemePortAndPath() throws IOException {
        DockerConfigCredentials source = config("{\"auths\":{\"https://host:5000/v2/\":{\"auth\":\"" + b64("u:" + PASSWORD) + "\"}}}");

        assertEquals(Credentials.basic("u", PASSWORD), source.lookup("host:5000"));
    }

    @Test
    void unknownRegistryAndMissingAuthsAreAnonymous() throws IOException {
        assertEquals(Credentials.ANONYMOUS, config("{\"auths\":{\"a.example\":{\"auth\":\"" + b64("u:p") + "\"}}}")
                .lookup("b.example"));
        assertEquals(Credentials.ANONYMOUS, config("{\"credsStore\":\"desktop\"}").lookup("b.example"));
    }

    @Test
    void editsApplyWithoutReloading() throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), "{\"auths\":{}}");
        DockerConfigCredentials source = DockerConfigCredentials.file(file);
        assertTrue(source.lookup("r.example").isAnonymous());

        Files.writeString(file, "{\"auths\":{\"r.example\":{\"auth\":\"" + b64("late:" + PASSWORD) + "\"}}}");

        assertEquals(Credentials.basic("late", PASSWORD), source.lookup("r.example"));
    }

    @Test
    void missingExplicitFileIsNotFound() {
        Path missing = dir.resolve("nope.json");

        CloakException e = assertThrows(CloakException.class, () -> DockerConfigCredentials.file(missing));

        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void invalidJsonInExplicitFileIsInvalidInput() throws IOException {
        DockerConfigCredentials source = config("{\"auths\": {\"r.example\": {\"auth\": \"" + b64("u:" + PASSWORD));

        CloakException e = assertThrows(CloakException.class, () -> source.lookup("r.example"));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()), e.getMessage());
        assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
        assertFalse(e.getMessage().contains(b64("u:" + PASSWORD)), e.getMessage());
    }

    @Test
    void invalidBase64AuthIsInvalidInputWithoutTheValue() throws IOException {
        DockerConfigCredentials source = config("{\"auths\":{\"r.example\":{\"auth\":\"not*base64!" + PASSWORD + "\"}}}");

        CloakException e = assertThrows(CloakException.class, () -> source.lookup("r.example"));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
    }

    @Test
    void toStringNeverShowsSecrets() {
        for (Credentials c : new Credentials[]{
                Credentials.basic("alice", PASSWORD),
                new Credentials("alice", PASSWORD, IDENTITY_TOKEN, null),
                new Credentials(null, null, null, REGISTRY_TOKEN),
                new Credentials("alice", PASSWORD, IDENTITY_TOKEN, REGISTRY_TOKEN),
                Credentials.parseUserPassword("alice:" + PASSWORD),
        }) {
            String s = c.toString();
            assertFalse(s.contains(PASSWORD), s);
            assertFalse(s.contains("s3cr3t"), s);
            assertFalse(s.contains(IDENTITY_TOKEN), s);
            assertFalse(s.contains(REGISTRY_TOKEN), s);
        }
        assertEquals("Credentials[user alice]", Credentials.basic("alice", PASSWORD).toString());
        assertEquals("Credentials[anonymous]", Credentials.ANONYMOUS.toString());
    }
}
