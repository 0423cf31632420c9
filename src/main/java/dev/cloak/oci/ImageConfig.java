package dev.cloak.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** The parts of an image configuration that Cloak checks: the uncompressed layer digests. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageConfig(String architecture, String os, @JsonProperty("rootfs") RootFs rootfs) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootFs(String type, @JsonProperty("diff_ids") List<Digest> diffIds) {
    }

    public List<Digest> diffIds() {
        return rootfs == null || rootfs.diffIds() == null ? List.of() : rootfs.diffIds();
    }
}
