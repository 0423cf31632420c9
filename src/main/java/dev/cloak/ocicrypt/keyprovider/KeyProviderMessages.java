package dev.cloak.ocicrypt.keyprovider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The key provider protocol's JSON documents, shaped as containers/ocicrypt marshals its Go structs: byte
 * fields are standard base64, and both parameter blocks are always present (the unused one with null fields)
 * so providers written against either Go or Rust structs parse them.
 *
 * <p>Unlike upstream, the encrypt and decrypt configs carry only this provider's own parameters: upstream
 * forwards every public key, certificate and (for decryption) every node private key and its password to
 * every provider.
 */
final class KeyProviderMessages {
    /** What ocicrypt sends for a provider named without parameters ({@code provider:NAME}). */
    static final byte[] ENABLED = "Enabled".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private KeyProviderMessages() {
    }

    static byte[] wrapRequest(String provider, List<byte[]> parameters, byte[] optsData) {
        ObjectNode root = JSON.createObjectNode();
        root.put("op", Operation.WRAP.wire);
        ObjectNode wrap = root.putObject("keywrapparams");
        ObjectNode ec = wrap.putObject("ec");
        parameters(ec, provider, parameters);
        parameters(ec.putObject("DecryptConfig"), null, null);
        wrap.put("optsdata", B64.encodeToString(optsData));
        ObjectNode unwrap = root.putObject("keyunwrapparams");
        unwrap.putNull("dc");
        unwrap.putNull("annotation");
        return bytes(root);
    }

    static byte[] unwrapRequest(String provider, byte[] annotation) {
        ObjectNode root = JSON.createObjectNode();
        root.put("op", Operation.UNWRAP.wire);
        ObjectNode wrap = root.putObject("keywrapparams");
        wrap.putNull("ec");
        wrap.putNull("optsdata");
        ObjectNode unwrap = root.putObject("keyunwrapparams");
        parameters(unwrap.putObject("dc"), provider, List.of(ENABLED));
        unwrap.put("annotation", B64.encodeToString(annotation));
        return bytes(root);
    }

    private static void parameters(ObjectNode config, String provider, List<byte[]> values) {
        if (provider == null) {
            config.putNull("Parameters");
            return;
        }
        var list = config.putObject("Parameters").putArray(provider);
        values.forEach(v -> list.add(B64.encodeToString(v)));
    }

    /** The annotation bytes from a keywrap response. */
    static byte[] wrapResult(byte[] response, String provider) {
        return field(response, "keywrapresults", "annotation", provider, "a wrapped key");
    }

    /** The private options from a keyunwrap response. */
    static byte[] unwrapResult(byte[] response, String provider) {
        return field(response, "keyunwrapresults", "optsdata", provider, "a layer key");
    }

    private static byte[] field(byte[] response, String object, String field, String provider, String what) {
        JsonNode root;
        try {
            root = JSON.readTree(response);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            throw new CloakException(ErrorKind.INVALID_INPUT, "key provider \"" + provider
                    + "\" answered with something that is not a key provider protocol JSON response");
        }
        JsonNode value = root.path(object).path(field);
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw new CloakException(ErrorKind.NO_KEY, "key provider \"" + provider + "\" answered without "
                    + what + " (no \"" + object + "\".\"" + field + "\")");
        }
        try {
            return Base64.getDecoder().decode(value.asText());
        } catch (IllegalArgumentException e) {
            throw new CloakException(ErrorKind.INVALID_INPUT, "key provider \"" + provider + "\" answered with \""
                    + object + "\".\"" + field + "\" that is not valid base64");
        }
    }

    private static byte[] bytes(ObjectNode root) {
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a key provider request", e);
        }
    }

    enum Operation {
        WRAP("keywrap"), UNWRAP("keyunwrap");

        final String wire;

        Operation(String wire) {
            this.wire = wire;
        }
    }
}
