package dev.cloak.pkcs11;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A private key that stays in a PKCS#11 token, as ocicrypt's YAML key file names it:
 * <pre>
 * pkcs11:
 *   uri: pkcs11:token=node;object=imgenc?module-name=softhsm2&amp;pin-source=/etc/cloak/pin
 * module:
 *   env:
 *     SOFTHSM2_CONF: /etc/softhsm/softhsm2.conf
 * </pre>
 * {@code toString} shows the URI without its PIN.
 */
public record Pkcs11KeyRef(Path source, Pkcs11Uri uri, Map<String, String> env) {
    private static final YAMLMapper YAML = new YAMLMapper();

    public Pkcs11KeyRef {
        env = Map.copyOf(env);
    }

    /** Whether {@code text} looks like ocicrypt's PKCS#11 key file (a top-level {@code pkcs11:} mapping). */
    public static boolean looksLikeKeyFile(String text) {
        return text.startsWith("pkcs11:") || text.contains("\npkcs11:") || text.startsWith("---") && text.contains("pkcs11:");
    }

    /** Parses a key file; failures are one sentence that never quotes the file (it may hold a PIN). */
    public static Pkcs11KeyRef parse(Path source, byte[] yaml) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw CloakException.invalid("it looks like a PKCS#11 key file but is not valid YAML");
        }
        if (root == null || !root.path("pkcs11").isObject() || !root.path("pkcs11").path("uri").isTextual()) {
            throw CloakException.invalid("it is not a PKCS#11 key file: ocicrypt's form is YAML with pkcs11: {uri: \"pkcs11:...\"}");
        }
        Pkcs11Uri uri = Pkcs11Uri.parse(root.get("pkcs11").get("uri").asText());
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode envNode = root.path("module").path("env");
        if (!envNode.isMissingNode() && !envNode.isNull()) {
            if (!envNode.isObject()) {
                throw CloakException.invalid("its module.env must map variable names to values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = envNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isValueNode()) {
                    throw CloakException.invalid("its module.env value for " + Printable.of(e.getKey()) + " is not a string");
                }
                env.put(e.getKey(), e.getValue().asText());
            }
        }
        return new Pkcs11KeyRef(source, uri, env);
    }

    @Override
    public String toString() {
        return "PKCS#11 key " + uri + " from " + source;
    }
}
