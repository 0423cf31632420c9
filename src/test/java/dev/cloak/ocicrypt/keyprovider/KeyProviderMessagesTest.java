package dev.cloak.ocicrypt.keyprovider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyProviderMessagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] OPTS = "{\"symkey\":\"c2VjcmV0\"}".getBytes(StandardCharsets.UTF_8);

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void wrapRequestCarriesTheOptionsAndOnlyThisProvidersParameters() throws IOException {
        JsonNode r = JSON.readTree(KeyProviderMessages.wrapRequest("kms",
                List.of("key-1".getBytes(StandardCharsets.UTF_8), "key-2".getBytes(StandardCharsets.UTF_8)), OPTS));
        assertEquals("keywrap", r.get("op").asText());
        assertArrayEquals(OPTS, Base64.getDecoder().decode(r.at("/keywrapparams/optsdata").asText()));
        JsonNode params = r.at("/keywrapparams/ec/Parameters");
        assertEquals(List.of("kms"), iterable(params.fieldNames()));
        assertEquals(b64("key-1"), params.get("kms").get(0).asText());
        assertEquals(b64("key-2"), params.get("kms").get(1).asText());
        assertTrue(r.at("/keywrapparams/ec/DecryptConfig/Parameters").isNull(), "no decryption keys go to a provider");
        assertTrue(r.at("/keyunwrapparams/dc").isNull());
    }

    @Test
    void unwrapRequestCarriesTheAnnotationAndNoPrivateKeys() throws IOException {
        byte[] annotation = "{\"wrapped_key\":\"abc\"}".getBytes(StandardCharsets.UTF_8);
        String text = new String(KeyProviderMessages.unwrapRequest("kms", annotation), StandardCharsets.UTF_8);
        JsonNode r = JSON.readTree(text);
        assertEquals("keyunwrap", r.get("op").asText());
        assertArrayEquals(annotation, Base64.getDecoder().decode(r.at("/keyunwrapparams/annotation").asText()));
        JsonNode params = r.at("/keyunwrapparams/dc/Parameters");
        assertEquals(List.of("kms"), iterable(params.fieldNames()), "the dc names this provider and nothing else");
        assertEquals(b64("Enabled"), params.get("kms").get(0).asText());
        assertFalse(text.contains("privkeys"), text);
        assertTrue(r.at("/keywrapparams/optsdata").isNull());
    }

    @Test
    void resultsAreDecodedFromTheirFields() {
        byte[] wrapped = ("{\"keywrapresults\":{\"annotation\":\"" + b64("A") + "\"}}").getBytes(StandardCharsets.UTF_8);
        byte[] unwrapped = ("{\"keyunwrapresults\":{\"optsdata\":\"" + b64("O") + "\"}}").getBytes(StandardCharsets.UTF_8);
        assertArrayEquals("A".getBytes(StandardCharsets.UTF_8), KeyProviderMessages.wrapResult(wrapped, "p"));
        assertArrayEquals("O".getBytes(StandardCharsets.UTF_8), KeyProviderMessages.unwrapResult(unwrapped, "p"));
    }

    @Test
    void garbageIsInvalidInputNamingTheProvider() {
        for (String garbage : List.of("", "not json", "[1,2]", "\"text\"")) {
            CloakException e = assertThrows(CloakException.class,
                    () -> KeyProviderMessages.unwrapResult(garbage.getBytes(StandardCharsets.UTF_8), "kms"));
            assertEquals(ErrorKind.INVALID_INPUT, e.kind(), garbage);
            assertTrue(e.getMessage().contains("\"kms\""), e.getMessage());
        }
        CloakException e = assertThrows(CloakException.class, () -> KeyProviderMessages.unwrapResult(
                "{\"keyunwrapresults\":{\"optsdata\":\"%%%\"}}".getBytes(StandardCharsets.UTF_8), "kms"));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
    }

    @Test
    void anAnswerWithoutTheKeyIsNoKey() {
        for (String empty : List.of("{}", "{\"keyunwrapresults\":{}}", "{\"keyunwrapresults\":{\"optsdata\":null}}")) {
            CloakException e = assertThrows(CloakException.class,
                    () -> KeyProviderMessages.unwrapResult(empty.getBytes(StandardCharsets.UTF_8), "kms"));
            assertEquals(ErrorKind.NO_KEY, e.kind(), empty);
        }
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
