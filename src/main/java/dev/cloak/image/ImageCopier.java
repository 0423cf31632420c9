package dev.cloak.image;

import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageConfig;
import dev.cloak.stream.Limits;
import dev.cloak.oci.ImageManifest;
import dev.cloak.oci.Json;
import dev.cloak.oci.Platform;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies one platform's image from a source to a destination, transforming its layers. Order: resolve,
 * let the transform check every layer, copy the config, copy each layer, write the manifest last. On any
 * failure the destination is rolled back, so it never holds a half-copied image.
 */
public final class ImageCopier {
    private ImageCopier() {
    }

    /** Returns the manifest that was written. */
    public static ManifestBlob copy(ImageSource source, ImageDestination destination, Platform platform,
                                    LayerTransform transform) throws IOException {
        ResolvedImage image = ManifestResolver.resolve(source, platform);
        ImageManifest manifest = image.manifest();
        try {
            ImageConfig config = Json.read(source.readBlob(manifest.config(), Limits.MAX_CONFIG_BYTES),
                    ImageConfig.class, "the config of " + source.describe());
            transform.prepare(manifest, config);
            BlobCopier.copy(manifest.config(), source, destination);
            List<Descriptor> layers = new ArrayList<>();
            for (int i = 0; i < manifest.layers().size(); i++) {
                layers.add(transform.apply(i, manifest.layers().get(i), source, destination));
            }
            ImageManifest rewritten = manifest.withLayers(layers);
            ManifestBlob out = layers.equals(manifest.layers())
                    ? image.raw()
                    : ManifestBlob.of(Json.write(rewritten), image.raw().mediaType());
            destination.putManifest(out);
            return out;
        } catch (IOException | RuntimeException | Error e) {
            destination.rollback();
            throw e;
        }
    }
}
