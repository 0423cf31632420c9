package dev.cloak.image;

import dev.cloak.error.CloakException;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageIndex;
import dev.cloak.oci.ImageManifest;
import dev.cloak.oci.Json;
import dev.cloak.oci.MediaTypes;
import dev.cloak.oci.Platform;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;

/** Turns what a reference names (a manifest, or an index) into one platform's image manifest. */
public final class ManifestResolver {
    private ManifestResolver() {
    }

    public static ResolvedImage resolve(ImageSource source, Platform wanted) throws IOException {
        ManifestBlob top = source.topManifest();
        String mediaType = effectiveMediaType(top);
        if (MediaTypes.isIndex(mediaType)) {
            ImageIndex index = Json.read(top.bytes(), ImageIndex.class, "the index of " + source.describe());
            Descriptor chosen = choose(index.manifests(), wanted, source.describe());
            ManifestBlob child = source.manifest(chosen);
            return new ResolvedImage(top, child, parseManifest(child, source.describe()));
        }
        return new ResolvedImage(top, top, parseManifest(top, source.describe()));
    }

    private static ImageManifest parseManifest(ManifestBlob blob, String image) {
        String mediaType = effectiveMediaType(blob);
        if (!MediaTypes.isManifest(mediaType)) {
            throw CloakException.invalid(image + " has a manifest of type " + mediaType + "; Cloak reads OCI image"
                    + " manifests and Docker schema 2 manifests");
        }
        ImageManifest m = Json.read(blob.bytes(), ImageManifest.class, "the manifest of " + image);
        if (m.schemaVersion() != 2 || m.config() == null) {
            throw CloakException.invalid("the manifest of " + image + " is not a schema 2 image manifest with a config");
        }
        return m;
    }

    /** The media type from the document itself when present, else the one it was served or stored as. */
    static String effectiveMediaType(ManifestBlob blob) {
        var node = Json.tree(blob.bytes(), "manifest " + blob.digest());
        if (node.path("schemaVersion").asInt() == 1
                || MediaTypes.DOCKER_SCHEMA1.equals(blob.mediaType()) || MediaTypes.DOCKER_SCHEMA1_SIGNED.equals(blob.mediaType())) {
            throw CloakException.invalid("manifest " + blob.digest() + " is Docker schema 1, which is deprecated and"
                    + " cannot carry encrypted layers; push the image again with a current tool");
        }
        String declared = node.path("mediaType").asText("");
        if (!declared.isEmpty()) {
            return declared;
        }
        if (node.has("manifests")) {
            return MediaTypes.OCI_INDEX;
        }
        return blob.mediaType() == null || blob.mediaType().isEmpty() ? MediaTypes.OCI_MANIFEST : blob.mediaType();
    }

    static Descriptor choose(List<Descriptor> entries, Platform wanted, String image) {
        List<Descriptor> images = entries.stream().filter(d -> MediaTypes.isManifest(d.mediaType())).toList();
        if (images.size() == 1 && images.get(0).platform() == null) {
            return images.get(0);
        }
        for (Descriptor d : images) {
            if (wanted.accepts(d.platform())) {
                return d;
            }
        }
        String available = images.stream()
                .map(d -> d.platform() == null ? "unspecified" : d.platform().toString())
                .collect(Collectors.joining(", "));
        throw CloakException.notFound(image + " has no image for platform " + wanted + "; it has: "
                + (available.isEmpty() ? "no image manifests" : available) + " (choose one with --platform)");
    }
}
