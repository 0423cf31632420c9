package dev.cloak.oci;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.cloak.error.CloakException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** An OCI content descriptor. Immutable; the "with" methods return changed copies. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Descriptor(
        String mediaType,
        Digest digest,
        long size,
        List<String> urls,
        Map<String, String> annotations,
        Platform platform,
        String artifactType) {

    public Descriptor {
        if (mediaType == null || mediaType.isEmpty()) {
            throw CloakException.invalid("descriptor " + digest + " has no mediaType");
        }
        if (digest == null) {
            throw CloakException.invalid("descriptor of type " + mediaType + " has no digest");
        }
        if (size < 0) {
            throw CloakException.invalid("descriptor " + digest + " has a negative size");
        }
        urls = urls == null ? List.of() : List.copyOf(urls);
        annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(annotations));
    }

    public static Descriptor of(String mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, null, null, null, null);
    }

    public Descriptor withContent(String newMediaType, Digest newDigest, long newSize) {
        return new Descriptor(newMediaType, newDigest, newSize, urls, annotations, platform, artifactType);
    }

    public Descriptor withAnnotations(Map<String, String> newAnnotations) {
        return new Descriptor(mediaType, digest, size, urls, newAnnotations, platform, artifactType);
    }

    public Descriptor withoutAnnotations(Predicate<String> keyFilter) {
        Map<String, String> kept = new LinkedHashMap<>();
        annotations.forEach((k, v) -> {
            if (!keyFilter.test(k)) {
                kept.put(k, v);
            }
        });
        return withAnnotations(kept);
    }

    @JsonIgnore
    public boolean isEncrypted() {
        return MediaTypes.isEncrypted(mediaType);
    }
}
