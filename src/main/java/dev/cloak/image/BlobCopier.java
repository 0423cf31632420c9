package dev.cloak.image;

import dev.cloak.oci.Descriptor;

import java.io.IOException;
import java.io.InputStream;

/** Copies a blob unchanged, verifying it on the way, unless the destination already has it. */
public final class BlobCopier {
    private BlobCopier() {
    }

    public static Descriptor copy(Descriptor blob, ImageSource source, ImageDestination destination) throws IOException {
        if (destination.hasBlob(blob.digest()) || destination.tryMount(blob, source)) {
            return blob;
        }
        try (InputStream in = source.openBlob(blob);
             ImageDestination.BlobWriter writer = destination.stageBlob()) {
            in.transferTo(writer.out());
            writer.commit(blob.digest(), blob.size());
        }
        return blob;
    }
}
