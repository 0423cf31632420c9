package dev.cloak.image;

import dev.cloak.oci.Digest;
import dev.cloak.ocicrypt.PlaintextSink;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where an image is written. Blobs are staged and published one by one; the manifest is written last, so
 * an interrupted copy never names blobs that are missing. {@link #rollback} removes what this copy added.
 */
public interface ImageDestination extends PlaintextSink, AutoCloseable {
    String describe();

    boolean hasBlob(Digest digest) throws IOException;

    /**
     * Makes {@code blob} available without copying its bytes, when the destination can (a registry mounting
     * a blob from another repository of the same registry). Returns false when it cannot.
     */
    default boolean tryMount(dev.cloak.oci.Descriptor blob, ImageSource source) throws IOException {
        return false;
    }

    /** Starts writing a blob; close discards unless committed. */
    BlobWriter stageBlob() throws IOException;

    /** Writes the manifest and points the destination's name (tag) at it. */
    void putManifest(ManifestBlob manifest) throws IOException;

    /** Removes every blob this destination published since it was opened. Never throws. */
    void rollback();

    @Override
    default void close() throws IOException {
    }

    interface BlobWriter extends AutoCloseable {
        OutputStream out();

        /** Publishes the blob if it has this digest and size; otherwise discards it and throws. */
        void commit(Digest expected, long size) throws IOException;

        /** Publishes the blob under the digest of what was written; returns that digest. */
        Digest commit() throws IOException;

        long size();

        @Override
        void close();
    }
}
