package dev.cloak.ocicrypt;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.oci.Digest;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two halves of a layer's cipher options, in ocicrypt's JSON shape (byte fields are standard base64).
 * The public half travels in the {@code pubopts} annotation; the private half is what every key-wrap
 * scheme wraps.
 */
public final class CipherOptions {
    /** The only cipher ocicrypt defines. One 32-byte key serves as AES-256-CTR key and HMAC-SHA256 key. */
    public static final String AES_256_CTR_HMAC_SHA256 = "AES_256_CTR_HMAC_SHA256";
    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 16;
    static final int HMAC_BYTES = 32;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private CipherOptions() {
    }

    @JsonPropertyOrder({"cipher", "hmac", "cipheroptions"})
    public record Public(String cipher, byte[] hmac, Map<String, byte[]> cipheroptions) {
        public Public {
            cipheroptions = cipheroptions == null ? Map.of() : cipheroptions;
        }
    }

    @JsonPropertyOrder({"symkey", "digest", "cipheroptions"})
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Private(byte[] symkey, String digest, Map<String, byte[]> cipheroptions) {
        byte[] nonce() {
            return cipheroptions == null ? null : cipheroptions.get("nonce");
        }

        /** Overwrites the key and nonce; call when the options are no longer needed. */
        void wipe() {
            if (symkey != null) {
                Arrays.fill(symkey, (byte) 0);
            }
            byte[] nonce = nonce();
            if (nonce != null) {
                Arrays.fill(nonce, (byte) 0);
            }
        }
    }

    static Private newPrivate(byte[] key, byte[] nonce, Digest plaintextDigest) {
        Map<String, byte[]> opts = new LinkedHashMap<>();
        opts.put("nonce", nonce);
        return new Private(key, plaintextDigest == null ? "" : plaintextDigest.toString(), opts);
    }

    static byte[] toJson(Object options) {
        try {
            return MAPPER.writeValueAsBytes(options);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise cipher options", e);
        }
    }

    /** Parses the public options of {@code layer}; the message names the layer, never the content. */
    static Public parsePublic(byte[] json, String layer) {
        Public p;
        try {
            p = MAPPER.readValue(json, Public.class);
        } catch (IOException e) {
            p = null;
        }
        if (p == null) {
            throw CloakException.invalid("layer " + layer + " has a pubopts annotation that is not valid cipher options JSON");
        }
        if (!AES_256_CTR_HMAC_SHA256.equals(p.cipher())) {
            throw CloakException.invalid("layer " + layer + " uses the cipher \"" + Printable.of(p.cipher())
                    + "\"; only " + AES_256_CTR_HMAC_SHA256 + " is defined by ocicrypt");
        }
        if (p.hmac() == null || p.hmac().length != HMAC_BYTES) {
            throw CloakException.invalid("layer " + layer + " has no 32-byte HMAC in its pubopts annotation");
        }
        return p;
    }

    /** Parses unwrapped private options; the message names the layer, never the content. */
    static Private parsePrivate(byte[] json, String layer) {
        Private p;
        try {
            p = MAPPER.readValue(json, Private.class);
        } catch (IOException e) {
            p = null;
        }
        if (p == null) {
            throw CloakException.invalid("layer " + layer + " has wrapped cipher options that are not valid JSON once unwrapped");
        }
        if (p.symkey() == null || p.symkey().length != KEY_BYTES) {
            p.wipe();
            throw CloakException.invalid("layer " + layer + " has a wrapped layer key that is not 32 bytes long");
        }
        if (p.nonce() == null || p.nonce().length != NONCE_BYTES) {
            p.wipe();
            throw CloakException.invalid("layer " + layer + " has wrapped cipher options without a 16-byte nonce");
        }
        if (p.digest() != null && !p.digest().isEmpty()) {
            try {
                Digest.parse(p.digest());
            } catch (CloakException e) {
                p.wipe();
                throw CloakException.invalid("layer " + layer + " has wrapped cipher options with an invalid plaintext digest");
            }
        }
        return p;
    }
}
