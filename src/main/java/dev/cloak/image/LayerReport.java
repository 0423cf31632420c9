package dev.cloak.image;

import dev.cloak.oci.Digest;

/** One row of {@code cloak inspect}: a layer and who it is encrypted for. */
public record LayerReport(int index, Digest digest, long size, String mediaType, String encryption) {
}
