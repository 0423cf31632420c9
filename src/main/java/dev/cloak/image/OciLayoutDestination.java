package dev.cloak.image;

import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.OciLayout;
import dev.cloak.ocicrypt.VerifiedLayer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes an image into an OCI layout directory under a tag, creating the layout if needed. */
public final class OciLayoutDestination implements ImageDestination {
    private final Path root;
    private final String tag;
    private final boolean createdLayout;
    private final OciLayout layout;
    private final List<Digest> published = new ArrayList<>();

    public OciLayoutDestination(Path root, String tag) throws IOException {
        this.root = root;
        this.tag = tag;
        this.createdLayout = !Files.exists(root.resolve("index.json"));
        this.layout = OciLayout.openOrCreate(root);
    }

    @Override
    public String describe() {
        return "oci:" + root + (tag == null ? "" : ":" + tag);
    }

    @Override
    public boolean hasBlob(Digest digest) {
        return layout.hasBlob(digest);
    }

    @Override
    public BlobWriter stageBlob() throws IOException {
        OciLayout.StagedBlob staged = layout.stage();
        return new BlobWriter() {
            @Override
            public OutputStream out() {
                return staged.out();
            }

            @Override
            public void commit(Digest expected, long size) throws IOException {
                boolean existed = layout.hasBlob(expected);
                staged.commitExpecting(expected, size);
                track(expected, existed);
            }

            @Override
            public Digest commit() throws IOException {
                Digest d = staged.commitComputed();
                track(d, false);
                return d;
            }

            @Override
            public long size() {
                return staged.size();
            }

            @Override
            public void close() {
                staged.discard();
            }
        };
    }

    private synchronized void track(Digest digest, boolean existed) {
        if (!existed) {
            published.add(digest);
        }
    }

    @Override
    public Staging begin() throws IOException {
        OciLayout.StagedBlob staged = layout.stageUnhashed();
        return new Staging() {
            @Override
            public OutputStream out() {
                return staged.out();
            }

            @Override
            public void commit(VerifiedLayer proof) throws IOException {
                boolean existed = layout.hasBlob(proof.digest());
                staged.commitAs(proof.digest(), proof.size());
                track(proof.digest(), existed);
            }

            @Override
            public void close() {
                staged.discard();
            }
        };
    }

    @Override
    public void putManifest(ManifestBlob manifest) throws IOException {
        boolean existed = layout.hasBlob(manifest.digest());
        Digest written = layout.putBlob(manifest.bytes());
        track(written, existed);
        layout.tag(Descriptor.of(manifest.mediaType(), written, manifest.bytes().length), tag);
    }

    @Override
    public synchronized void rollback() {
        for (Digest d : published) {
            try {
                Files.deleteIfExists(layout.blobPath(d));
            } catch (IOException ignored) {
                // Best effort: a leftover verified blob is harmless and unreferenced.
            }
        }
        published.clear();
        if (createdLayout) {
            for (String leftover : List.of("blobs/sha256", "blobs", "index.json", "oci-layout", "")) {
                try {
                    Files.deleteIfExists(root.resolve(leftover));
                } catch (IOException ignored) {
                    // Not empty (someone else wrote here): leave it.
                }
            }
        }
    }
}
