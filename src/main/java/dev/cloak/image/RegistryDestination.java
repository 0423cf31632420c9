package dev.cloak.image;

import dev.cloak.error.CloakException;
import dev.cloak.error.Threads;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.ImageReference;
import dev.cloak.ocicrypt.VerifiedLayer;
import dev.cloak.registry.BlobUpload;
import dev.cloak.registry.RegistryClient;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Writes an image to a registry under the reference's tag. Blobs go up in chunks of {@link #CHUNK_BYTES}
 * and exist in the repository only when their upload is completed with their digest, after verification.
 * Rollback cannot delete what was pushed (registries rarely allow it); unreferenced blobs are garbage for
 * the registry's own collector, and no manifest ever names a blob that failed verification.
 */
public final class RegistryDestination implements ImageDestination {
    /** Large enough to keep requests few, small enough to keep memory flat. */
    static final int CHUNK_BYTES = 8 << 20;

    private final RegistryClient client;
    private final ImageReference ref;

    public RegistryDestination(RegistryClient client, ImageReference ref) {
        if (ref.digest() != null) {
            throw CloakException.invalid("destination docker://" + ref + " names a digest; push to a tag instead");
        }
        this.client = client;
        this.ref = ref;
    }

    @Override
    public String describe() {
        return "docker://" + ref;
    }

    @Override
    public boolean hasBlob(Digest digest) throws IOException {
        return client.blobExists(ref, digest);
    }

    @Override
    public boolean tryMount(Descriptor blob, ImageSource source) throws IOException {
        if (source instanceof RegistrySource rs && rs.reference().registry().equals(ref.registry())
                && !rs.reference().repository().equals(ref.repository())) {
            return client.mountBlob(ref, blob.digest(), rs.reference().repository());
        }
        return false;
    }

    @Override
    public BlobWriter stageBlob() {
        return new ChunkedWriter();
    }

    @Override
    public Staging begin() {
        ChunkedWriter writer = new ChunkedWriter();
        return new Staging() {
            @Override
            public OutputStream out() {
                return writer.out();
            }

            @Override
            public void commit(VerifiedLayer proof) throws IOException {
                writer.commit(proof.digest(), proof.size());
            }

            @Override
            public void close() {
                writer.close();
            }
        };
    }

    @Override
    public void putManifest(ManifestBlob manifest) throws IOException {
        client.putManifest(ref, ref.tag(), manifest);
    }

    @Override
    public void rollback() {
        // See the class comment: nothing pushed is referenced, and registries collect unreferenced blobs.
    }

    /** Buffers one chunk; sends it when full; completes the upload on commit. */
    private final class ChunkedWriter implements BlobWriter {
        private final byte[] buffer = new byte[CHUNK_BYTES];
        private final MessageDigest sha256 = Digest.newSha256();
        private int filled;
        private long size;
        private BlobUpload upload;
        private boolean done;
        private final OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                sha256.update(b, off, len);
                size += len;
                while (len > 0) {
                    int n = Math.min(len, buffer.length - filled);
                    System.arraycopy(b, off, buffer, filled, n);
                    filled += n;
                    off += n;
                    len -= n;
                    if (filled == buffer.length) {
                        flushChunk();
                    }
                }
            }
        };

        private void flushChunk() throws IOException {
            if (upload == null) {
                upload = client.startUpload(ref);
            }
            upload.append(buffer, filled);
            filled = 0;
        }

        @Override
        public OutputStream out() {
            return out;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void commit(Digest expected, long expectedSize) throws IOException {
            Digest actual = Digest.sha256(sha256.digest());
            if (!actual.equals(expected) || size != expectedSize) {
                close();
                throw CloakException.integrity("blob " + expected + " was written as " + actual + " with " + size
                        + " bytes instead of " + expectedSize + "; its upload was abandoned");
            }
            complete(actual);
        }

        @Override
        public Digest commit() throws IOException {
            Digest actual = Digest.sha256(sha256.digest());
            complete(actual);
            return actual;
        }

        private void complete(Digest digest) throws IOException {
            if (upload == null && client.blobExists(ref, digest)) {
                done = true;
                return;
            }
            if (upload == null) {
                upload = client.startUpload(ref);
            }
            upload.finish(digest, java.util.Arrays.copyOf(buffer, filled));
            done = true;
        }

        @Override
        public void close() {
            if (!done && upload != null) {
                // A copy stopped because another layer failed arrives here interrupted; the upload session
                // must still be cancelled rather than left to expire.
                Threads.uninterrupted(upload::cancel);
            }
            done = true;
        }
    }
}
