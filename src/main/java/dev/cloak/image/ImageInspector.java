package dev.cloak.image;

import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Platform;
import dev.cloak.ocicrypt.LayerDecryptor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Describes an image's layers and their encryption, without any key. */
public final class ImageInspector {
    private final LayerDecryptor decryptor;

    public ImageInspector(LayerDecryptor decryptor) {
        this.decryptor = decryptor;
    }

    public record Report(ResolvedImage image, List<LayerReport> layers) {
    }

    public Report inspect(ImageSource source, Platform platform) throws IOException {
        ResolvedImage image = ManifestResolver.resolve(source, platform);
        List<LayerReport> rows = new ArrayList<>();
        List<Descriptor> layers = image.manifest().layers();
        for (int i = 0; i < layers.size(); i++) {
            Descriptor d = layers.get(i);
            rows.add(new LayerReport(i, d.digest(), d.size(), d.mediaType(),
                    d.isEncrypted() ? decryptor.recipients(d) : "-"));
        }
        return new Report(image, rows);
    }
}
