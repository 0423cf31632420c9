package dev.cloak.oci;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.stream.BoundedReader;
import dev.cloak.stream.SyncingFileOutput;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code blobs/<alg>/<hex>}).
 * Blobs are written through {@link StagedBlob}: bytes go to a temporary file inside the layout and become
 * visible under their digest only on {@link StagedBlob#commit}, after the digest has been computed.
 */
public final class OciLayout {
    public static final String REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
    private static final byte[] LAYOUT_FILE = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);

    private final Path root;

    private OciLayout(Path root) {
        this.root = root;
    }

    /** Opens an existing layout. */
    public static OciLayout open(Path root) {
        if (!Files.isRegularFile(root.resolve("oci-layout")) || !Files.isRegularFile(root.resolve("index.json"))) {
            throw CloakException.notFound("\"" + root + "\" is not an OCI image layout (no oci-layout or index.json file)");
        }
        return new OciLayout(root);
    }

    /** Opens a layout, creating an empty one if the directory does not hold one yet. */
    public static OciLayout openOrCreate(Path root) throws IOException {
        Files.createDirectories(root.resolve("blobs").resolve("sha256"));
        if (!Files.exists(root.resolve("oci-layout"))) {
            Files.write(root.resolve("oci-layout"), LAYOUT_FILE);
        }
        if (!Files.exists(root.resolve("index.json"))) {
            writeAtomically(root.resolve("index.json"),
                    Json.write(new ImageIndex(2, MediaTypes.OCI_INDEX, List.of(), null)));
        }
        return new OciLayout(root);
    }

    public Path root() {
        return root;
    }

    public ImageIndex index() throws IOException {
        byte[] bytes = BoundedReader.readAll(Files.newInputStream(root.resolve("index.json")),
                dev.cloak.stream.Limits.MAX_MANIFEST_BYTES, root.resolve("index.json").toString());
        return Json.read(bytes, ImageIndex.class, root.resolve("index.json").toString());
    }

    /**
     * The descriptor named {@code tag} in index.json; with a null tag, the only entry (it is an error to
     * leave the tag out when there are several).
     */
    public Descriptor resolve(String tag) throws IOException {
        List<Descriptor> entries = index().manifests();
        if (tag == null) {
            if (entries.size() == 1) {
                return entries.get(0);
            }
            throw CloakException.invalid("the OCI layout " + root + " holds " + entries.size()
                    + " images; name one with oci:" + root + ":TAG (tags: " + tags(entries) + ")");
        }
        return entries.stream()
                .filter(d -> tag.equals(d.annotations().get(REF_NAME_ANNOTATION)))
                .findFirst()
                .orElseThrow(() -> CloakException.notFound("the OCI layout " + root + " has no image tagged \""
                        + tag + "\" (tags: " + tags(entries) + ")"));
    }

    private static String tags(List<Descriptor> entries) {
        List<String> tags = new ArrayList<>();
        for (Descriptor d : entries) {
            tags.add(d.annotations().getOrDefault(REF_NAME_ANNOTATION, "<untagged " + d.digest().shortForm() + ">"));
        }
        return tags.isEmpty() ? "none" : String.join(", ", tags);
    }

    public Path blobPath(Digest digest) {
        return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }

    public boolean hasBlob(Digest digest) {
        return Files.isRegularFile(blobPath(digest));
    }

    /** Opens a blob for reading; the caller closes the stream. The bytes are NOT verified here. */
    public InputStream openBlob(Digest digest) throws IOException {
        try {
            return Files.newInputStream(blobPath(digest));
        } catch (NoSuchFileException e) {
            throw CloakException.notFound("blob " + digest + " is missing from the OCI layout " + root);
        }
    }

    /** Reads a small blob whole and verifies it against its descriptor's digest and size. */
    public byte[] readSmallBlob(Descriptor descriptor, int limit) throws IOException {
        if (descriptor.size() > limit) {
            throw CloakException.invalid("blob " + descriptor.digest() + " (" + descriptor.mediaType()
                    + ") is " + descriptor.size() + " bytes, more than the limit of " + limit);
        }
        byte[] bytes = BoundedReader.readAll(openBlob(descriptor.digest()), limit, "blob " + descriptor.digest());
        MessageDigest md = descriptor.digest().newDigester();
        if (bytes.length != descriptor.size() || !descriptor.digest().matches(md.digest(bytes))) {
            throw new CloakException(ErrorKind.INTEGRITY, "blob " + descriptor.digest() + " in " + root
                    + " does not match its digest or size; the layout is corrupt");
        }
        return bytes;
    }

    /** Starts writing a new blob. The caller must either commit or discard (close discards if not committed). */
    public StagedBlob stage() throws IOException {
        return stage(true);
    }

    /**
     * Starts writing a blob whose digest the writer computes itself over exactly the bytes it writes (the
     * decryptor does), so hashing it a second time here would only cost time. Commit with
     * {@link StagedBlob#commitAs}.
     */
    public StagedBlob stageUnhashed() throws IOException {
        return stage(false);
    }

    private StagedBlob stage(boolean hash) throws IOException {
        Path dir = root.resolve("blobs").resolve("sha256");
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".staging-", ".tmp");
        try {
            return new StagedBlob(this, tmp, hash);
        } catch (IOException | RuntimeException e) {
            // Opening the file just made failed: it must not stay behind in the layout.
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            throw e;
        }
    }

    /** Writes a small blob (manifest, config) whole and returns its digest. */
    public Digest putBlob(byte[] content) throws IOException {
        try (StagedBlob staged = stage()) {
            staged.out().write(content);
            return staged.commitComputed();
        }
    }

    /** Adds or replaces the index.json entry for {@code tag} (or adds an untagged entry when tag is null). */
    public synchronized void tag(Descriptor manifest, String tag) throws IOException {
        List<Descriptor> entries = new ArrayList<>();
        for (Descriptor d : index().manifests()) {
            if (tag == null || !tag.equals(d.annotations().get(REF_NAME_ANNOTATION))) {
                entries.add(d);
            }
        }
        Map<String, String> annotations = new LinkedHashMap<>(manifest.annotations());
        if (tag != null) {
            annotations.put(REF_NAME_ANNOTATION, tag);
        }
        entries.add(manifest.withAnnotations(annotations));
        writeAtomically(root.resolve("index.json"), Json.write(new ImageIndex(2, MediaTypes.OCI_INDEX, entries, null)));
    }

    private static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".index-", ".tmp");
        try {
            try (SyncingFileOutput out = new SyncingFileOutput(FileChannel.open(tmp, StandardOpenOption.WRITE))) {
                out.write(content);
                out.sync(); // the index names blobs that are on disk: it must not be lost in a crash either
            }
            moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A blob being written. Bytes are hashed as they are written; nothing is visible until commit. */
    public static final class StagedBlob implements AutoCloseable {
        private final OciLayout layout;
        private final Path tmp;
        private final MessageDigest sha256;
        private final SyncingFileOutput file;
        private final OutputStream out;
        private boolean done;

        private StagedBlob(OciLayout layout, Path tmp, boolean hash) throws IOException {
            this.layout = layout;
            this.tmp = tmp;
            this.sha256 = hash ? Digest.newSha256() : null;
            // WRITE alone, not CREATE+TRUNCATE_EXISTING: the temporary file is new and empty, and on ext4
            // truncating a file marks it for a flush at close (auto_da_alloc) that held each close of a
            // large layer 0.3-0.6 s. The blob is synced as it is written and before it is published.
            this.file = new SyncingFileOutput(FileChannel.open(tmp, StandardOpenOption.WRITE));
            this.out = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    file.write(b, off, len);
                    if (sha256 != null) {
                        sha256.update(b, off, len);
                    }
                }

                @Override
                public void close() throws IOException {
                    file.close();
                }
            };
        }

        /** Where to write the blob's bytes; do not close it, commit or discard the staged blob instead. */
        public OutputStream out() {
            return out;
        }

        public long size() {
            return file.written();
        }

        /** Publishes the blob under the digest of what was written, and returns that digest. */
        public Digest commitComputed() throws IOException {
            Digest digest = Digest.sha256(hashed().digest());
            publish(digest);
            return digest;
        }

        /** Publishes the blob only if what was written has the expected digest and size; discards it otherwise. */
        public void commitExpecting(Digest expected, long expectedSize) throws IOException {
            Digest actual = Digest.sha256(hashed().digest());
            long size = size();
            if (!actual.equals(expected) || size != expectedSize) {
                discard();
                throw CloakException.integrity("blob " + expected + " was written as " + actual + " with "
                        + size + " bytes instead of " + expectedSize + "; nothing was stored");
            }
            publish(actual);
        }

        /** Publishes an unhashed blob under the digest its writer computed; the size is still checked. */
        public void commitAs(Digest digest, long expectedSize) throws IOException {
            if (sha256 != null) {
                commitExpecting(digest, expectedSize);
                return;
            }
            long size = size();
            if (size != expectedSize) {
                discard();
                throw CloakException.integrity("blob " + digest + " was written with " + size + " bytes instead of "
                        + expectedSize + "; nothing was stored");
            }
            publish(digest);
        }

        private MessageDigest hashed() {
            if (sha256 == null) {
                throw new IllegalStateException("this blob was staged without hashing; commit it with commitAs");
            }
            return sha256;
        }

        private void publish(Digest digest) throws IOException {
            // On disk before it is named: a blob named by a digest is taken as that content by every later
            // copy into this layout, so a crash must not leave the name pointing at unwritten data.
            file.sync();
            out.close();
            moveIntoPlace(tmp, layout.blobPath(digest));
            done = true;
        }

        public void discard() {
            if (!done) {
                done = true;
                try {
                    out.close();
                } catch (IOException ignored) {
                    // The file is deleted next; a close failure changes nothing.
                }
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove the staging file " + tmp, e);
                }
            }
        }

        @Override
        public void close() {
            discard();
        }
    }
}
