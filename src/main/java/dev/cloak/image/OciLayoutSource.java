package dev.cloak.image;

import dev.cloak.error.CloakException;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.OciLayout;
import dev.cloak.stream.Limits;

import java.io.IOException;
import java.io.InputStream;

/** Reads an image from an OCI layout directory, by tag. */
public final class OciLayoutSource implements ImageSource {
    private final OciLayout layout;
    private final String tag;

    public OciLayoutSource(OciLayout layout, String tag) {
        this.layout = layout;
        this.tag = tag;
    }

    @Override
    public String describe() {
        return "oci:" + layout.root() + (tag == null ? "" : ":" + tag);
    }

    @Override
    public ManifestBlob topManifest() throws IOException {
        return manifest(layout.resolve(tag));
    }

    @Override
    public ManifestBlob manifest(Descriptor descriptor) throws IOException {
        if (!dev.cloak.oci.MediaTypes.isIndex(descriptor.mediaType()) && !dev.cloak.oci.MediaTypes.isManifest(descriptor.mediaType())) {
            throw CloakException.invalid(describe() + " points to " + descriptor.mediaType()
                    + ", which is neither an image manifest nor an index");
        }
        byte[] bytes = layout.readSmallBlob(descriptor, Limits.MAX_MANIFEST_BYTES);
        return new ManifestBlob(bytes, descriptor.mediaType(), descriptor.digest());
    }

    @Override
    public InputStream openBlob(Descriptor descriptor) throws IOException {
        return layout.openBlob(descriptor.digest());
    }

    @Override
    public byte[] readBlob(Descriptor descriptor, int limit) throws IOException {
        return layout.readSmallBlob(descriptor, limit);
    }
}
