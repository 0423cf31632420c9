package dev.cloak.registry;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegistryErrorsTest {
    private static final String REGISTRY = "registry.example.com:5000";
    private static final String REPOSITORY = "team/app";

    private static byte[] body(String code) {
        return ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"m\",\"detail\":null}]}").getBytes(StandardCharsets.UTF_8);
    }

    private static void assertOneSentence(CloakException e, int status) {
        String m = e.getMessage();
        assertTrue(m.contains("registry " + REGISTRY), m);
        assertTrue(m.contains("repository " + REPOSITORY), m);
        assertTrue(m.contains("HTTP " + status), m);
        assertFalse(m.chars().anyMatch(Character::isISOControl), "one printable line: " + m);
    }

    @ParameterizedTest
    @CsvSource({
            "MANIFEST_UNKNOWN, 404, NOT_FOUND",
            "NAME_UNKNOWN,     404, NOT_FOUND",
            "BLOB_UNKNOWN,     404, NOT_FOUND",
            "UNAUTHORIZED,     401, REGISTRY",
            "DENIED,           403, REGISTRY",
            "TOOMANYREQUESTS,  429, UNAVAILABLE",
    })
    void distributionCodes(String code, int status, ErrorKind kind) {
        CloakException e = RegistryErrors.of(REGISTRY, REPOSITORY, "pull manifest v1", status, body(code));

        assertEquals(kind, e.kind());
        assertOneSentence(e, status);
        assertTrue(e.getMessage().contains(code), e.getMessage());
        assertTrue(e.getMessage().contains("pull manifest v1"), "says what was being done: " + e.getMessage());
    }

    @Test
    void codeDecidesOverStatus() {
        // Some registries answer a missing manifest with 400 or 200 + errors; the code is what counts.
        assertEquals(ErrorKind.NOT_FOUND, RegistryErrors.of(REGISTRY, REPOSITORY, "x", 400, body("MANIFEST_UNKNOWN")).kind());
        assertEquals(ErrorKind.UNAVAILABLE, RegistryErrors.of(REGISTRY, REPOSITORY, "x", 503, body("TOOMANYREQUESTS")).kind());
    }

    @Test
    void rateLimitMessageSaysSo() {
        String m = RegistryErrors.of(REGISTRY, REPOSITORY, "x", 429, body("TOOMANYREQUESTS")).getMessage();

        assertTrue(m.contains("rate-limiting"), m);
    }

    @ParameterizedTest
    @CsvSource({
            "401, REGISTRY",
            "403, REGISTRY",
            "404, NOT_FOUND",
            "429, UNAVAILABLE",
            "500, UNAVAILABLE",
            "502, UNAVAILABLE",
            "503, UNAVAILABLE",
            "418, REGISTRY",
            "400, REGISTRY",
    })
    void bareStatuses(int status, ErrorKind kind) {
        for (byte[] body : new byte[][]{null, new byte[0], "<html>oops</html>".getBytes(StandardCharsets.UTF_8),
                "{\"errors\":[]}".getBytes(StandardCharsets.UTF_8)}) {
            CloakException e = RegistryErrors.of(REGISTRY, REPOSITORY, "pull blob sha256:x", status, body);

            assertEquals(kind, e.kind(), "status " + status);
            assertOneSentence(e, status);
            assertTrue(e.getMessage().endsWith("[HTTP " + status + "]"), e.getMessage());
        }
    }

    @Test
    void unknownCodeFallsBackToTheStatusAndIsShown() {
        CloakException e = RegistryErrors.of(REGISTRY, REPOSITORY, "x", 500, body("SOMETHING_ODD"));

        assertEquals(ErrorKind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("[HTTP 500 SOMETHING_ODD]"), e.getMessage());
    }

    @Test
    void controlCharactersInTheCodeCannotBreakTheLine() {
        byte[] evil = "{\"errors\":[{\"code\":\"BAD\\nlevel=error msg=\\\"forged\\\"\\r\\u0007\\u2028\"}]}"
                .getBytes(StandardCharsets.UTF_8);

        CloakException e = RegistryErrors.of(REGISTRY, REPOSITORY, "pull manifest v1", 400, evil);

        assertEquals(ErrorKind.REGISTRY, e.kind());
        assertOneSentence(e, 400);
        assertFalse(e.getMessage().contains("\u2028"), e.getMessage());
        assertTrue(e.getMessage().contains("BAD?level=error"), e.getMessage());
    }

    @Test
    void overlongCodeIsCut() {
        CloakException e = RegistryErrors.of(REGISTRY, REPOSITORY, "x", 400, body("A".repeat(10_000)));

        assertTrue(e.getMessage().length() < 400, "length " + e.getMessage().length());
        assertOneSentence(e, 400);
    }
}
