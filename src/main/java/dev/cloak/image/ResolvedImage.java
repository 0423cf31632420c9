package dev.cloak.image;

import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageManifest;

/**
 * One platform's image: its manifest (parsed and raw), the digest the user's reference resolved to (the
 * index's or the manifest's own) and the descriptor of the manifest itself.
 */
public record ResolvedImage(ManifestBlob top, ManifestBlob raw, ImageManifest manifest) {
    public Descriptor config() {
        return manifest.config();
    }
}
