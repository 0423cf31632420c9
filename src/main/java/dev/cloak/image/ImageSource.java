package dev.cloak.image;

import dev.cloak.oci.Descriptor;

import java.io.IOException;
import java.io.InputStream;

/** Where an image is read from: an OCI layout now, a registry later. */
public interface ImageSource extends AutoCloseable {
    /** The image as the user named it, for messages. */
    String describe();

    /** The manifest or index the reference names, verified against its digest when the reference pins one. */
    ManifestBlob topManifest() throws IOException;

    /** A manifest an index points to, verified against {@code descriptor}. */
    ManifestBlob manifest(Descriptor descriptor) throws IOException;

    /** The raw bytes of a blob. NOT verified: the caller verifies digest and size as it reads. Caller closes. */
    InputStream openBlob(Descriptor descriptor) throws IOException;

    /** A small blob read whole and verified against {@code descriptor}. */
    byte[] readBlob(Descriptor descriptor, int limit) throws IOException;

    @Override
    default void close() throws IOException {
    }
}
