package dev.cloak.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cloak.error.CloakException;

import java.io.IOException;

/**
 * JSON for OCI documents. Unknown fields are ignored when reading (registries add vendor fields) and
 * map keys are written sorted, so re-serialised manifests are stable.
 */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private Json() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Parses {@code bytes} as {@code type}; {@code what} names the document for the error message. */
    public static <T> T read(byte[] bytes, Class<T> type, String what) {
        try {
            return MAPPER.readValue(bytes, type);
        } catch (IOException | IllegalArgumentException e) {
            throw CloakException.invalid(what + " is not valid JSON of the expected shape: " + firstLine(e));
        } catch (CloakException e) {
            throw CloakException.invalid(what + ": " + e.getMessage());
        }
    }

    public static JsonNode tree(byte[] bytes, String what) {
        try {
            return MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw CloakException.invalid(what + " is not valid JSON: " + firstLine(e));
        }
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    private static String firstLine(Exception e) {
        Throwable t = e;
        while (t.getCause() instanceof CloakException) {
            t = t.getCause();
        }
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
