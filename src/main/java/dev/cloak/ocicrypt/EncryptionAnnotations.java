package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.oci.Descriptor;
import dev.cloak.stream.Limits;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code org.opencontainers.image.enc.*} annotations of one layer descriptor: wrapped keys per scheme
 * (comma-separated standard base64 entries) and the public cipher options.
 */
public record EncryptionAnnotations(Map<String, List<byte[]>> wrappedKeys, byte[] publicOptions) {
    public static final String PREFIX = "org.opencontainers.image.enc.";
    public static final String KEYS_PREFIX = PREFIX + "keys.";
    public static final String PUBOPTS = PREFIX + "pubopts";

    /** Reads the annotations of an encrypted layer; malformed values give one sentence naming the layer. */
    public static EncryptionAnnotations of(Descriptor layer) {
        String name = layer.digest().toString();
        Map<String, List<byte[]>> wrapped = new LinkedHashMap<>();
        for (Map.Entry<String, String> a : layer.annotations().entrySet()) {
            if (!a.getKey().startsWith(KEYS_PREFIX) || a.getValue() == null) {
                continue;
            }
            String scheme = a.getKey().substring(KEYS_PREFIX.length());
            if (a.getValue().length() > Limits.MAX_WRAPPED_KEY_BYTES) {
                throw CloakException.invalid("layer " + name + " has an annotation " + Printable.of(a.getKey()) + " larger than "
                        + Limits.MAX_WRAPPED_KEY_BYTES + " bytes");
            }
            List<byte[]> entries = new ArrayList<>();
            for (String entry : a.getValue().split(",")) {
                if (!entry.isBlank()) {
                    entries.add(decode(entry.strip(), name, a.getKey()));
                }
            }
            if (!entries.isEmpty()) {
                wrapped.put(scheme, entries);
            }
        }
        String pub = layer.annotations().get(PUBOPTS);
        if (pub == null) {
            throw CloakException.invalid("layer " + name + " is marked encrypted but has no " + PUBOPTS + " annotation");
        }
        if (wrapped.isEmpty()) {
            throw CloakException.invalid("layer " + name + " is marked encrypted but has no "
                    + KEYS_PREFIX + "<scheme> annotation holding a wrapped key");
        }
        return new EncryptionAnnotations(wrapped, decode(pub, name, PUBOPTS));
    }

    private static byte[] decode(String value, String layer, String key) {
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw CloakException.invalid("layer " + layer + " has an annotation " + Printable.of(key) + " that is not valid base64");
        }
    }

    /** The annotations to put on an encrypted descriptor: {@code base} without stale enc.* keys, plus these. */
    public Map<String, String> applyTo(Map<String, String> base) {
        Map<String, String> out = new LinkedHashMap<>();
        base.forEach((k, v) -> {
            if (!k.startsWith(PREFIX)) {
                out.put(k, v);
            }
        });
        wrappedKeys.forEach((scheme, entries) -> {
            List<String> encoded = new ArrayList<>();
            for (byte[] e : entries) {
                encoded.add(Base64.getEncoder().encodeToString(e));
            }
            out.put(KEYS_PREFIX + scheme, String.join(",", encoded));
        });
        out.put(PUBOPTS, Base64.getEncoder().encodeToString(publicOptions));
        return out;
    }

    /** A copy with {@code entry} appended to {@code scheme}'s entries (used when adding recipients). */
    public EncryptionAnnotations plus(String scheme, byte[] entry) {
        Map<String, List<byte[]>> wrapped = new LinkedHashMap<>(wrappedKeys);
        List<byte[]> entries = new ArrayList<>(wrapped.getOrDefault(scheme, List.of()));
        entries.add(entry);
        wrapped.put(scheme, entries);
        return new EncryptionAnnotations(wrapped, publicOptions);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
