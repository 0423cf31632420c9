package dev.cloak.oci;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/** An OCI image index or Docker manifest list. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ImageIndex(
        int schemaVersion,
        String mediaType,
        List<Descriptor> manifests,
        Map<String, String> annotations) {

    public ImageIndex {
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }
}
