package dev.cloak.oci;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageReferenceTest {
    private static final String HEX = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static final String DIGEST = "sha256:" + HEX;

    @Test
    void bareNameIsDockerHubLibraryLatest() {
        ImageReference ref = ImageReference.parse("nginx");

        assertEquals("docker.io", ref.registry());
        assertEquals("library/nginx", ref.repository());
        assertEquals("latest", ref.tag());
        assertNull(ref.digest());
        assertEquals("registry-1.docker.io", ref.apiHost());
        assertEquals("latest", ref.manifestReference());
        assertEquals("docker.io/library/nginx:latest", ref.toString());
    }

    @Test
    void userRepositoryOnDockerHubGetsNoLibraryPrefix() {
        ImageReference ref = ImageReference.parse("user/app");

        assertEquals("docker.io", ref.registry());
        assertEquals("user/app", ref.repository());
        assertEquals("latest", ref.tag());
        assertEquals("registry-1.docker.io", ref.apiHost());
    }

    @Test
    void indexDockerIoIsNormalisedToDockerIo() {
        ImageReference ref = ImageReference.parse("index.docker.io/x");

        assertEquals("docker.io", ref.registry());
        assertEquals("library/x", ref.repository());
        assertEquals("registry-1.docker.io", ref.apiHost());
    }

    @Test
    void localhostWithPortNestedRepositoryAndTag() {
        ImageReference ref = ImageReference.parse("localhost:5000/a/b:t");

        assertEquals("localhost:5000", ref.registry());
        assertEquals("a/b", ref.repository());
        assertEquals("t", ref.tag());
        assertEquals("localhost:5000", ref.apiHost());
        assertEquals("localhost:5000/a/b", ref.name());
    }

    @Test
    void ipv4HostWithPort() {
        ImageReference ref = ImageReference.parse("127.0.0.1:5000/a");

        assertEquals("127.0.0.1:5000", ref.registry());
        assertEquals("a", ref.repository(), "no library/ prefix outside Docker Hub");
        assertEquals("latest", ref.tag());
        assertEquals("127.0.0.1:5000", ref.apiHost());
    }

    @Test
    void bracketedIpv6HostWithPortIsNotMistakenForATag() {
        ImageReference ref = ImageReference.parse("[::1]:5000/a");

        assertEquals("[::1]:5000", ref.registry());
        assertEquals("a", ref.repository());
        assertEquals("latest", ref.tag());
    }

    @Test
    void digestOnlyReferenceHasNoTag() {
        ImageReference ref = ImageReference.parse("ghcr.io/org/app@" + DIGEST);

        assertEquals("ghcr.io", ref.registry());
        assertEquals("org/app", ref.repository());
        assertNull(ref.tag());
        assertEquals(Digest.parse(DIGEST), ref.digest());
        assertEquals(DIGEST, ref.manifestReference());
        assertEquals("ghcr.io/org/app@" + DIGEST, ref.toString());
    }

    @Test
    void tagAndDigestKeepsTheTagButPullsByDigest() {
        ImageReference ref = ImageReference.parse("ghcr.io/org/app:v1.2@" + DIGEST);

        assertEquals("v1.2", ref.tag());
        assertEquals(Digest.parse(DIGEST), ref.digest());
        assertEquals(DIGEST, ref.manifestReference());
        assertEquals("ghcr.io/org/app:v1.2@" + DIGEST, ref.toString());
    }

    @Test
    void withDigestMakesTheDigestDecide() {
        ImageReference ref = ImageReference.parse("example.com/a:t").withDigest(Digest.parse(DIGEST));

        assertEquals("t", ref.tag());
        assertEquals(DIGEST, ref.manifestReference());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Nginx",                       // uppercase repository
            "user/App",
            "nginx@sha256:abc",            // digest too short
            "nginx@md5:" + "0123456789abcdef0123456789abcdef",
            "nginx@sha256:" + "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
            "nginx:-bad",                  // tag must start with a word character
            "nginx:bad+tag",
            "nginx:",                      // empty tag
            "a//b",
            "a/",
            "localhost:5000/",
            "example.com/a/b/",
            "-leading/dash",
            "exa_mple.com:5000/a",         // not a host, and not a valid component either
    })
    void invalidReferencesAreRejectedQuotingTheInput(String text) {
        CloakException e = assertThrows(CloakException.class, () -> ImageReference.parse(text));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains("\"" + text + "\""), "message quotes the input: " + e.getMessage());
    }

    @Test
    void overLongTagIsRejected() {
        String text = "nginx:" + "t".repeat(129);

        CloakException e = assertThrows(CloakException.class, () -> ImageReference.parse(text));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void tagOfExactly128CharactersIsAccepted() {
        assertEquals(128, ImageReference.parse("nginx:" + "t".repeat(128)).tag().length());
    }

    @Test
    void overLongRepositoryNameIsRejected() {
        String text = "example.com/" + "a".repeat(128) + "/" + "b".repeat(127);   // 256 characters of path

        CloakException e = assertThrows(CloakException.class, () -> ImageReference.parse(text));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
        assertTrue(e.getMessage().contains("255"), e.getMessage());
    }

    @Test
    void repositoryNameOfExactly255CharactersIsAccepted() {
        String path = "a".repeat(127) + "/" + "b".repeat(127);

        assertEquals(path, ImageReference.parse("example.com/" + path).repository());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void emptyReferenceIsInvalid(String text) {
        CloakException e = assertThrows(CloakException.class, () -> ImageReference.parse(text));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void nullReferenceIsInvalid() {
        CloakException e = assertThrows(CloakException.class, () -> ImageReference.parse(null));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "nginx",
            "user/app:1.0",
            "index.docker.io/x",
            "localhost:5000/a/b:t",
            "localhost/a",
            "127.0.0.1:5000/a",
            "[::1]:5000/a",
            "ghcr.io/org/app@" + DIGEST,
            "ghcr.io/org/app:v1@" + DIGEST,
            "registry.example.com/a.b/c__d/e-f/g_h:Tag_1.0-rc",
    })
    void toStringRoundTrips(String text) {
        ImageReference ref = ImageReference.parse(text);

        assertEquals(ref, ImageReference.parse(ref.toString()));
        assertEquals(ref.toString(), ImageReference.parse(ref.toString()).toString());
    }
}
