package dev.cloak.oci;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/** An OCI image manifest or Docker schema 2 manifest (the two share this shape). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ImageManifest(
        int schemaVersion,
        String mediaType,
        String artifactType,
        Descriptor config,
        List<Descriptor> layers,
        Descriptor subject,
        Map<String, String> annotations) {

    public ImageManifest {
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public ImageManifest withLayers(List<Descriptor> newLayers) {
        return new ImageManifest(schemaVersion, mediaType, artifactType, config, newLayers, subject, annotations);
    }

    public boolean hasEncryptedLayers() {
        return layers.stream().anyMatch(Descriptor::isEncrypted);
    }
}
