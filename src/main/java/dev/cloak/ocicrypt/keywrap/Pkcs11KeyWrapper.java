package dev.cloak.ocicrypt.keywrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloak.error.CloakException;
import dev.cloak.keys.Keyring;
import dev.cloak.pkcs11.Pkcs11KeyRef;
import dev.cloak.pkcs11.Pkcs11Tokens;
import dev.cloak.pkcs11.RsaOaep;
import dev.cloak.pkcs11.TokenKey;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * ocicrypt's PKCS#11 scheme: the entry is JSON {@code {"version":0,"recipients":[{"version":0,"blob":B64,"hash":H}]}},
 * each blob the private options under RSA-OAEP for one recipient's key. Cloak writes SHA-256 whenever the options
 * fit under the key, and SHA-1 (ocicrypt's own default) when they do not: ocicrypt's private options are 193
 * bytes, and RSA-OAEP with SHA-256 carries at most 190 bytes under a 2048-bit key, so those keys need SHA-1
 * (still sound in OAEP, which does not rely on collision resistance). Both are read; an empty hash means SHA-1.
 * Decryption tries every recipient with every PKCS#11 key of the keyring; the private keys never leave their
 * tokens.
 */
public final class Pkcs11KeyWrapper implements KeyWrapper {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pkcs11Tokens tokens;

    public Pkcs11KeyWrapper(Pkcs11Tokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public String scheme() {
        return "pkcs11";
    }

    @Override
    public byte[] wrap(List<Recipient> recipients, byte[] privateOptions) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 0);
        var array = root.putArray("recipients");
        for (Recipient r : recipients) {
            Recipient.Pkcs11 p = (Recipient.Pkcs11) r;
            RsaOaep.Hash hash = RsaOaep.Hash.strongestFor(p.key(), privateOptions.length);
            try {
                ObjectNode entry = array.addObject();
                entry.put("version", 0);
                entry.put("blob", Base64.getEncoder().encodeToString(RsaOaep.encrypt(p.key(), privateOptions, hash)));
                entry.put("hash", hash.wire);
            } catch (GeneralSecurityException e) {
                throw CloakException.invalid("cannot encrypt the layer key for PKCS#11 recipient " + p.source() + ": a "
                        + p.key().getModulus().bitLength() + "-bit RSA key is too small for the layer key; use 2048 bits or more");
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a PKCS#11 entry", e);
        }
    }

    @Override
    public byte[] unwrap(byte[] entry, Keyring keyring, String layer) {
        List<Blob> blobs = parse(entry, layer);
        if (keyring.pkcs11Keys().isEmpty()) {
            return null;
        }
        CloakException firstFailure = null;
        boolean anyOpened = false;
        for (Pkcs11KeyRef ref : keyring.pkcs11Keys()) {
            TokenKey key;
            try {
                key = tokens.open(ref);
            } catch (CloakException cannotOpen) {
                firstFailure = firstFailure == null ? cannotOpen : firstFailure;
                continue;
            }
            anyOpened = true;
            for (Blob blob : blobs) {
                if (blob.hash != null) {
                    byte[] options = key.decrypt(blob.ciphertext, blob.hash);
                    if (options != null) {
                        return options;
                    }
                }
            }
        }
        if (!anyOpened) {
            throw new CloakException(firstFailure.kind(), "layer " + layer + ": " + firstFailure.getMessage());
        }
        return null;
    }

    @Override
    public List<String> describeRecipients(byte[] entry, String layer) {
        List<String> out = new ArrayList<>();
        for (Blob b : parse(entry, layer)) {
            out.add((b.hash == null ? "RSA-OAEP with an unsupported hash" : "RSA-OAEP-" + b.hash.wire.toUpperCase())
                    + " RSA-" + b.ciphertext.length * 8);
        }
        return out;
    }

    private record Blob(byte[] ciphertext, RsaOaep.Hash hash) {
    }

    private static List<Blob> parse(byte[] entry, String layer) {
        JsonNode root;
        try {
            root = JSON.readTree(entry);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject() || !root.path("recipients").isArray()) {
            throw CloakException.invalid("layer " + layer + " has a PKCS#11 wrapped key that is not ocicrypt's PKCS#11 JSON");
        }
        if (root.path("version").asInt(-1) != 0) {
            throw CloakException.invalid("layer " + layer + " has a PKCS#11 wrapped key of version "
                    + root.path("version").asText() + "; Cloak reads version 0");
        }
        List<Blob> out = new ArrayList<>();
        for (JsonNode r : root.get("recipients")) {
            if (r.path("version").asInt(-1) != 0 || !r.path("blob").isTextual()) {
                throw CloakException.invalid("layer " + layer + " has a PKCS#11 recipient that is not version 0 with a blob");
            }
            try {
                out.add(new Blob(Base64.getDecoder().decode(r.get("blob").asText()), RsaOaep.Hash.of(r.path("hash").asText(""))));
            } catch (IllegalArgumentException e) {
                throw CloakException.invalid("layer " + layer + " has a PKCS#11 recipient whose blob is not valid base64");
            }
        }
        return out;
    }
}
